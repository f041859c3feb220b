using System.Text.Json;

namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>
/// What ingest and query jobs share: id (<c>750…</c>), object, operation, CSV format, state and counters, and the
/// JobInfo JSON Salesforce answers with. Changes happen under <see cref="Sync"/>.
/// </summary>
internal abstract class BulkJob
{
    protected BulkJob(string id, string jobType, string objectName, string operation, char delimiter, string delimiterName, bool crlf, string apiVersion, string createdById, DateTimeOffset now)
    {
        Id = id;
        JobType = jobType;
        Object = objectName;
        Operation = operation;
        Delimiter = delimiter;
        DelimiterName = delimiterName;
        Crlf = crlf;
        ApiVersion = apiVersion;
        CreatedById = createdById;
        CreatedDate = now;
        SystemModstamp = now;
    }

    public Lock Sync { get; } = new();

    public string Id { get; }

    /// <summary><c>V2Ingest</c> or <c>V2Query</c>.</summary>
    public string JobType { get; }

    public string Object { get; }

    public string Operation { get; }

    public char Delimiter { get; }

    public string DelimiterName { get; }

    public bool Crlf { get; }

    public string LineEnding => Crlf ? "\r\n" : "\n";

    public string ApiVersion { get; }

    public string CreatedById { get; }

    public DateTimeOffset CreatedDate { get; }

    public DateTimeOffset SystemModstamp { get; set; }

    public string State { get; set; } = BulkJobState.Open;

    public string? ErrorMessage { get; set; }

    public long NumberRecordsProcessed { get; set; }

    public long TotalProcessingTime { get; set; }

    /// <summary>Writes the JobInfo object (as create, close and poll answer).</summary>
    public void WriteInfo(Utf8JsonWriter writer)
    {
        lock (Sync)
        {
            writer.WriteStartObject();
            writer.WriteString("id", Id);
            writer.WriteString("operation", Operation);
            writer.WriteString("object", Object);
            writer.WriteString("createdById", CreatedById);
            writer.WriteString("createdDate", Soql.SoqlProjection.FormatDateTime(CreatedDate));
            writer.WriteString("systemModstamp", Soql.SoqlProjection.FormatDateTime(SystemModstamp));
            writer.WriteString("state", State);
            WriteDetails(writer);
            writer.WriteString("concurrencyMode", "Parallel");
            writer.WriteString("contentType", "CSV");
            writer.WriteNumber("apiVersion", decimal.Parse(ApiVersion, System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("jobType", JobType);
            writer.WriteString("lineEnding", Crlf ? "CRLF" : "LF");
            writer.WriteString("columnDelimiter", DelimiterName);
            writer.WriteNumber("numberRecordsProcessed", NumberRecordsProcessed);
            writer.WriteNumber("retries", 0);
            writer.WriteNumber("totalProcessingTime", TotalProcessingTime);
            if (ErrorMessage is not null)
            {
                writer.WriteString("errorMessage", ErrorMessage);
            }

            writer.WriteEndObject();
        }
    }

    /// <summary>The fields only one kind of job has.</summary>
    protected abstract void WriteDetails(Utf8JsonWriter writer);
}
