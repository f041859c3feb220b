using System.Text;
using System.Text.Json;
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
    public async Task Results_rows_are_read_as_the_query_side_reads_them()
    {
        // The ingest side reads results into one reused buffer; it must cut cells exactly as CsvRows does.
        var text = "sf__Id,sf__Created,Name,Note\r\n001A,true,\"Acme, Inc.\",\"say \"\"hi\"\"\"\r\n001B,false,\"two\nlines\",\n,,,\n001C,true,last,\"no line end\"";
        var expected = new List<string[]>();
        await foreach (var row in CsvRows.ReadAsync(new StringReader(text)))
        {
            expected.Add(row);
        }

        var read = new List<string[]>();
        await BulkResultRows.ReadAsync(new StringReader(text), row =>
        {
            var cells = new string[row.Count];
            for (var i = 0; i < cells.Length; i++)
            {
                cells[i] = row[i].ToString();
            }

            read.Add(cells);
        }, CancellationToken.None);

        Assert.Equal(5, read.Count);
        Assert.Equal(expected, read);
        Assert.Equal(["001A", "true", "Acme, Inc.", "say \"hi\""], read[1]);
        Assert.Equal(["001C", "true", "last", "no line end"], read[4]);
    }

    [Fact]
    public async Task Each_result_row_answers_the_first_unanswered_upload_row_it_echoes_equal_rows_in_upload_order()
    {
        var rows = new BulkRows();
        rows.Add(Encoding.UTF8.GetBytes("""{"Name":"same","Phone":null}"""));
        rows.Add(Encoding.UTF8.GetBytes("""{"Name":"other, with comma","Phone":"1"}"""));
        rows.Add(Encoding.UTF8.GetBytes("""{"Name":"same","Phone":null}"""));
        rows.Add(Encoding.UTF8.GetBytes("""{"Name":"short"}"""));
        var index = new BulkRowIndex(rows);
        var claimed = new List<int>();
        var results = "sf__Id,sf__Created,Name,Phone\n" +
            "003,true,\"other, with comma\",1\n" + // out of order, quoted by the results
            "001,true,same,#N/A\n" +
            "002,true,same,#N/A\n" +
            "009,true,same,#N/A\n" + // a third echo of a row uploaded twice: answers nothing
            "004,true,short,\n" + // a cell the row did not set echoes empty
            "005,true,Short,\n"; // not a row of the upload
        await BulkResultRows.ReadAsync(new StringReader(results), row =>
        {
            if (row[0].SequenceEqual("sf__Id"))
            {
                return;
            }

            claimed.Add(index.Claim(row, 2));
        }, CancellationToken.None);

        Assert.Equal([1, 0, 2, -1, 3, -1], claimed);
    }

    [Fact]
    public async Task A_CSV_larger_than_one_piece_is_written_whole_in_UTF8()
    {
        var rows = new BulkRows();
        var expected = new StringBuilder("External_Id__c,Name\n");
        for (var i = 0; i < 3_000; i++)
        {
            // Non-ASCII names take more bytes than characters; every tenth needs quotes.
            var name = i % 10 == 0 ? $"Café \"{i}\", Zürich" : $"Ünïcødé {i} ✓";
            rows.Add(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, string> { ["External_Id__c"] = $"e{i}", ["Name"] = name })));
            expected.Append($"e{i},").Append(i % 10 == 0 ? "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : name).Append('\n');
        }

        using var stream = new MemoryStream();
        await rows.WriteCsvAsync(stream, CancellationToken.None);

        Assert.True(stream.Length > 64 * 1024, "several pieces");
        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(stream.ToArray()));
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
