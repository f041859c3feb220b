using System.Text;
using Sluice.Core.Connectors;
using Sluice.Salesforce.Bulk;
using Sluice.Salesforce.Destination;

namespace Sluice.Salesforce.Tests;

public sealed class BulkCsvTests
{
    [Fact]
    public async Task Records_become_CSV_with_NA_for_null_and_parents_by_external_id()
    {
        var rows = new BulkRows();
        rows.Add(Encoding.UTF8.GetBytes("""{"External_Id__c":"a1","Name":"Acme, Inc.","Phone":null,"Parent":{"External_Id__c":"p1"}}"""));
        rows.Add(Encoding.UTF8.GetBytes("""{"External_Id__c":"a2","Name":"Say \"hi\"","NumberOfEmployees":12}"""));
        using var stream = new MemoryStream();
        await rows.WriteCsvAsync(stream, CancellationToken.None);
        Assert.Equal(
            "External_Id__c,Name,Phone,Parent.External_Id__c,NumberOfEmployees\n" +
            "a1,\"Acme, Inc.\",#N/A,p1,\n" +
            "a2,\"Say \"\"hi\"\"\",,,12\n",
            Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public async Task Results_CSV_is_read_back_with_quotes_and_line_breaks()
    {
        var text = "sf__Id,sf__Created,Name\r\n001A,true,\"Acme, Inc.\"\r\n001B,false,\"two\nlines\"\r\n";
        var rows = new List<string[]>();
        await foreach (var row in CsvRows.ReadAsync(new StringReader(text)))
        {
            rows.Add(row);
        }

        Assert.Equal(3, rows.Count);
        Assert.Equal(["001A", "true", "Acme, Inc."], rows[1]);
        Assert.Equal("two\nlines", rows[2][2]);
    }

    [Fact]
    public void A_bulk_error_keeps_Salesforces_code_and_message()
    {
        var result = SalesforceDestination.SettleBulkError("REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --");
        Assert.Equal(WriteStatus.Rejected, result.Status);
        Assert.Equal("REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]", result.Reason);
        Assert.Equal(WriteStatus.Retry, SalesforceDestination.SettleBulkError("UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--").Status);
    }
}
