using System.Text.Json;

namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>
/// A Bulk 2.0 ingest job: the CSV uploads it received while Open, and after processing the successful, failed and
/// unprocessed records for the three results CSVs.
/// </summary>
internal sealed class IngestJob : BulkJob
{
    public IngestJob(string id, string objectName, string operation, string? externalIdFieldName, char delimiter, string delimiterName, bool crlf, string apiVersion, string createdById, DateTimeOffset now)
        : base(id, "V2Ingest", objectName, operation, delimiter, delimiterName, crlf, apiVersion, createdById, now)
    {
        ExternalIdFieldName = externalIdFieldName;
    }

    public string? ExternalIdFieldName { get; }

    /// <summary>The <c>changeOrigin</c> of the changes its records make: <c>com/salesforce/api/bulkapi/…</c> and the creating request's client.</summary>
    public string ChangeOrigin { get; init; } = "";

    /// <summary>The uploads received while Open, each parsed as it arrived; processing takes them.</summary>
    public List<BulkUpload> Uploads { get; } = [];

    public long UploadedBytes { get; set; }

    /// <summary>The header of the first upload: the original columns of every results CSV.</summary>
    public string[] Header { get; set; } = [];

    public List<BulkResultRow> Successful { get; } = [];

    public List<BulkResultRow> Failed { get; } = [];

    public List<string[]> Unprocessed { get; } = [];

    public long NumberRecordsFailed { get; set; }

    protected override void WriteDetails(Utf8JsonWriter writer)
    {
        if (ExternalIdFieldName is not null)
        {
            writer.WriteString("externalIdFieldName", ExternalIdFieldName);
        }

        writer.WriteString("contentUrl", $"services/data/v{ApiVersion}/jobs/ingest/{Id}/batches");
        writer.WriteNumber("numberRecordsFailed", NumberRecordsFailed);
        writer.WriteNumber("apiActiveProcessingTime", TotalProcessingTime);
        writer.WriteNumber("apexProcessingTime", 0);
    }
}
