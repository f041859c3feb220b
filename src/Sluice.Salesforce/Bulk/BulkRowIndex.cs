namespace Sluice.Salesforce.Bulk;

/// <summary>
/// An upload's rows indexed by their cells, to find each again in the results: Salesforce answers in no particular order
/// and echoes the uploaded columns after its own <c>sf__</c> ones. Rows are kept by a hash of their cells, equal rows in
/// upload order, and a result claims the first unanswered row whose cells it echoes exactly. No string is made per row
/// (a joined key per row used to be).
/// </summary>
internal sealed class BulkRowIndex
{
    private readonly BulkRows _rows;
    private readonly Dictionary<int, int> _first;
    private readonly int[] _next;
    private readonly bool[] _claimed;

    public BulkRowIndex(BulkRows rows)
    {
        _rows = rows;
        _first = new Dictionary<int, int>(rows.Count);
        _next = new int[rows.Count];
        _claimed = new bool[rows.Count];
        // Backwards, each row put in front of its chain: a chain lists equal-hash rows in upload order.
        for (var i = rows.Count - 1; i >= 0; i--)
        {
            var hash = HashOf(rows, i);
            _next[i] = _first.TryGetValue(hash, out var head) ? head : -1;
            _first[hash] = i;
        }
    }

    /// <summary>
    /// The first unanswered row whose cells are the result's cells after its first <paramref name="skip"/> (its own
    /// columns), now answered; -1 when none is. Safe to call from results read at the same time.
    /// </summary>
    public int Claim(BulkResultRow result, int skip)
    {
        var columns = _rows.Columns.Count;
        if (result.Count - skip != columns)
        {
            return -1;
        }

        var hash = new HashCode();
        for (var c = 0; c < columns; c++)
        {
            hash.Add(string.GetHashCode(result[skip + c]));
        }

        lock (_claimed)
        {
            if (!_first.TryGetValue(hash.ToHashCode(), out var candidate))
            {
                return -1;
            }

            for (; candidate >= 0; candidate = _next[candidate])
            {
                if (!_claimed[candidate] && Same(candidate, result, skip, columns))
                {
                    _claimed[candidate] = true;
                    return candidate;
                }
            }

            return -1;
        }
    }

    private bool Same(int row, BulkResultRow result, int skip, int columns)
    {
        for (var c = 0; c < columns; c++)
        {
            if (!result[skip + c].SequenceEqual(_rows.Cell(row, c)))
            {
                return false;
            }
        }

        return true;
    }

    private static int HashOf(BulkRows rows, int row)
    {
        var hash = new HashCode();
        for (var c = 0; c < rows.Columns.Count; c++)
        {
            hash.Add(string.GetHashCode(rows.Cell(row, c)));
        }

        return hash.ToHashCode();
    }
}
