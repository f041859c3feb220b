namespace Sluice.Salesforce.Bulk;

/// <summary>One row of a results CSV while it is read: its cells as spans of one reused buffer, valid only during the call.</summary>
internal readonly ref struct BulkResultRow
{
    private readonly ReadOnlySpan<char> _chars;
    private readonly ReadOnlySpan<int> _ends;

    public BulkResultRow(ReadOnlySpan<char> chars, ReadOnlySpan<int> ends)
    {
        _chars = chars;
        _ends = ends;
    }

    public int Count => _ends.Length;

    /// <summary>Cell <paramref name="index"/>, unquoted.</summary>
    public ReadOnlySpan<char> this[int index] => _chars[(index == 0 ? 0 : _ends[index - 1]).._ends[index]];
}

/// <summary>Called for each row of a results CSV, the header first.</summary>
internal delegate void BulkResultRowHandler(BulkResultRow row);

/// <summary>
/// Reads a Bulk ingest job's results CSV (RFC 4180 as Salesforce writes it: quoted fields, <c>""</c> for a quote, LF or
/// CRLF line ends) row by row into one reused buffer. A 100,000-row result made 800,000 strings, one per cell, when the
/// rows are only needed to find each uploaded row again and read its <c>sf__Id</c> or <c>sf__Error</c>.
/// </summary>
internal static class BulkResultRows
{
    public static async Task ReadAsync(TextReader reader, BulkResultRowHandler handle, CancellationToken ct)
    {
        var parser = new Parser();
        var buffer = new char[16 * 1024];
        int read;
        while ((read = await reader.ReadAsync(buffer, ct)) > 0)
        {
            parser.Feed(buffer.AsSpan(0, read), handle);
        }

        parser.End(handle);
    }

    private sealed class Parser
    {
        private char[] _chars = new char[1024];
        private int _length;
        private int[] _ends = new int[16];
        private int _cells;
        private bool _quoted;
        private bool _pendingQuote;
        private bool _any;

        public void Feed(ReadOnlySpan<char> text, BulkResultRowHandler handle)
        {
            foreach (var c in text)
            {
                if (_pendingQuote)
                {
                    _pendingQuote = false;
                    if (c == '"')
                    {
                        Append('"');
                        continue;
                    }

                    _quoted = false;
                }

                if (_quoted)
                {
                    if (c == '"')
                    {
                        _pendingQuote = true;
                    }
                    else
                    {
                        Append(c);
                    }

                    continue;
                }

                switch (c)
                {
                    case '"':
                        _quoted = true;
                        _any = true;
                        break;
                    case ',':
                        EndCell();
                        _any = true;
                        break;
                    case '\r':
                        break;
                    case '\n':
                        EndCell();
                        handle(new BulkResultRow(_chars.AsSpan(0, _length), _ends.AsSpan(0, _cells)));
                        _length = 0;
                        _cells = 0;
                        _any = false;
                        break;
                    default:
                        Append(c);
                        _any = true;
                        break;
                }
            }
        }

        /// <summary>The last row, when the text does not end in a line break.</summary>
        public void End(BulkResultRowHandler handle)
        {
            var cellStart = _cells == 0 ? 0 : _ends[_cells - 1];
            if (_any || _length > cellStart || _cells > 0)
            {
                EndCell();
                handle(new BulkResultRow(_chars.AsSpan(0, _length), _ends.AsSpan(0, _cells)));
            }
        }

        private void Append(char c)
        {
            if (_length == _chars.Length)
            {
                Array.Resize(ref _chars, _chars.Length * 2);
            }

            _chars[_length++] = c;
        }

        private void EndCell()
        {
            if (_cells == _ends.Length)
            {
                Array.Resize(ref _ends, _ends.Length * 2);
            }

            _ends[_cells++] = _length;
        }
    }
}
