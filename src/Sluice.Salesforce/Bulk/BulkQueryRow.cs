namespace Sluice.Salesforce.Bulk;

/// <summary>
/// One row of a Bulk query job's results: the page's header, its cells, the locator of its page (<c>null</c> for the
/// first) and its index there. One instance per page, moved along its rows: its cells are valid until the next row is
/// read, so a reader takes what it needs from them before it asks for the next.
/// </summary>
internal sealed class BulkQueryRow(string[] header, Utf8CsvReader cells, string? page)
{
    public string[] Header { get; } = header;

    /// <summary>The row's cells, in the header's order.</summary>
    public Utf8CsvReader Cells { get; } = cells;

    public string? Page { get; } = page;

    public int Index { get; internal set; }
}
