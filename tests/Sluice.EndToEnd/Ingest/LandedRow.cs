namespace Sluice.EndToEnd.Ingest;

/// <summary>One row as it landed in PostgreSQL: its cells by column name (SQL NULL is <c>null</c>).</summary>
internal sealed class LandedRow(string table, IReadOnlyDictionary<string, object?> cells)
{
    public IReadOnlyCollection<string> Columns => [.. cells.Keys];

    /// <summary>The cell of <paramref name="column"/>; a missing column fails the test and names the ones there are.</summary>
    public object? this[string column]
    {
        get
        {
            Assert.True(cells.TryGetValue(column, out var value),
                $"{table} has no column '{column}'; its columns: {string.Join(", ", cells.Keys)}");
            return value;
        }
    }

    public override string ToString() => $"{table}: {string.Join(", ", cells.Select(c => $"{c.Key}={c.Value ?? "NULL"}"))}";
}
