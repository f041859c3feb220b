namespace Sluice.Salesforce.Bulk;

/// <summary>One row of a Bulk query job's results: the page's header, its cells, the locator of its page (<c>null</c> for the first) and its index there.</summary>
internal sealed record BulkQueryRow(string[] Header, string[] Cells, string? Page, int Index);
