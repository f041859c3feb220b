using System.Text.Json;

namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>A Bulk 2.0 query job: its SOQL and, once complete, the result rows as CSV lines under one header.</summary>
internal sealed class QueryJob : BulkJob
{
    public QueryJob(string id, string objectName, string operation, string query, char delimiter, string delimiterName, bool crlf, string apiVersion, string createdById, DateTimeOffset now)
        : base(id, "V2Query", objectName, operation, delimiter, delimiterName, crlf, apiVersion, createdById, now)
    {
        Query = query;
    }

    public string Query { get; }

    public string HeaderLine { get; set; } = "";

    public List<string> Lines { get; } = [];

    protected override void WriteDetails(Utf8JsonWriter writer)
    {
        writer.WriteString("query", Query);
    }
}
