namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>
/// One processed CSV record: its id (when known), whether it was created, or its error as <c>sf__Error</c> writes it
/// (<c>STATUSCODE:message:fields --</c>), and the record's original cells.
/// </summary>
internal sealed record BulkResultRow(string? Id, bool Created, string? Error, string[] Cells);
