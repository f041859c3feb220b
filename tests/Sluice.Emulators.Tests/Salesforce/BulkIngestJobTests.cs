using System.Text;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Bulk;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Emulators.Salesforce.Soql;
using Sluice.Testing;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>Bulk 2.0 ingest jobs over a real org: states, CSV rules and the three results CSVs.</summary>
public sealed class BulkIngestJobTests
{
    private readonly SalesforceOrg _org = new(OrgFiles.WithSubscriptions());
    private readonly BulkService _bulk;

    public BulkIngestJobTests() => _bulk = new BulkService(_org, new QueryService(_org));

    [Fact]
    public async Task An_upsert_job_creates_updates_and_reports_failures_per_record()
    {
        var existing = Insert("Account", ("Name", "Old name"), ("External_Id__c", "a2"));
        var job = Create(new JsonObject { ["object"] = "Account", ["operation"] = "upsert", ["externalIdFieldName"] = "external_id__c" });
        Assert.Equal(BulkJobState.Open, job.State);
        Assert.Equal("External_Id__c", job.ExternalIdFieldName);

        // jsforce writes an empty Id column on upsert and #N/A for null.
        _bulk.Upload(job.Id, Encoding.UTF8.GetBytes("Id,External_Id__c,Name,Phone\n,a1,Acme,555\n,a2,\"New, name\",\n,a3,#N/A,1\n"));
        _bulk.ChangeState(job.Id, "UploadComplete", ingest: true);
        await CompletesAsync(job);

        Assert.Equal(BulkJobState.JobComplete, job.State);
        Assert.Equal(3, job.NumberRecordsProcessed);
        Assert.Equal(1, job.NumberRecordsFailed);
        var created = _org.FindBy("Account", "External_Id__c", "a1").Single();
        Assert.Equal("555", created.Values["Phone"]);
        Assert.Equal("New, name", _org.Find(existing)!.Values["Name"]);

        Assert.Equal(
            "\"sf__Id\",\"sf__Created\",\"Id\",\"External_Id__c\",\"Name\",\"Phone\"\n" +
            $"\"{created.Id}\",\"true\",\"\",\"a1\",\"Acme\",\"555\"\n" +
            $"\"{existing}\",\"false\",\"\",\"a2\",\"New, name\",\"\"\n",
            _bulk.Results(job.Id, "successfulResults"));
        Assert.Equal(
            "\"sf__Id\",\"sf__Error\",\"Id\",\"External_Id__c\",\"Name\",\"Phone\"\n" +
            "\"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --\",\"\",\"a3\",\"#N/A\",\"1\"\n",
            _bulk.Results(job.Id, "failedResults"));
        Assert.Equal("\"Id\",\"External_Id__c\",\"Name\",\"Phone\"\n", _bulk.Results(job.Id, "unprocessedrecords"));
    }

    [Fact]
    public async Task An_update_job_leaves_empty_cells_alone_and_nulls_na_cells()
    {
        var id = Insert("Account", ("Name", "Acme"), ("Phone", "555"), ("Website", "acme.com"));
        var job = Create(new JsonObject { ["object"] = "Account", ["operation"] = "update", ["columnDelimiter"] = "PIPE", ["lineEnding"] = "CRLF" });

        _bulk.Upload(job.Id, Encoding.UTF8.GetBytes($"Id|Phone|Website\r\n{id}||#N/A\r\n"));
        _bulk.ChangeState(job.Id, "UploadComplete", ingest: true);
        await CompletesAsync(job);

        Assert.Equal(BulkJobState.JobComplete, job.State);
        var record = _org.Find(id)!;
        Assert.Equal("555", record.Values["Phone"]);
        Assert.Null(record.Values.GetValueOrDefault("Website"));
    }

    [Fact]
    public async Task Insert_and_delete_jobs_go_through_the_same_save_path()
    {
        var insert = Create(new JsonObject { ["object"] = "Contact", ["operation"] = "insert" });
        _bulk.Upload(insert.Id, Encoding.UTF8.GetBytes("LastName,Email,Account.External_Id__c\nLovelace,ada@example.com,\nHopper,not-an-email,\n"));
        _bulk.ChangeState(insert.Id, "UploadComplete", ingest: true);
        await CompletesAsync(insert);
        Assert.Equal(1, insert.NumberRecordsFailed);
        Assert.Contains("INVALID_EMAIL_ADDRESS:", _bulk.Results(insert.Id, "failedResults"), StringComparison.Ordinal);
        var ada = Assert.Single(_org.Records("Contact"));

        var delete = Create(new JsonObject { ["object"] = "Contact", ["operation"] = "delete" });
        _bulk.Upload(delete.Id, Encoding.UTF8.GetBytes($"Id\n{ada.Id}\n"));
        _bulk.ChangeState(delete.Id, "UploadComplete", ingest: true);
        await CompletesAsync(delete);
        Assert.Equal(0, delete.NumberRecordsFailed);
        Assert.Empty(_org.Records("Contact"));
        Assert.Single(_org.Records("Contact", includeDeleted: true));
    }

    [Fact]
    public async Task Data_with_the_wrong_line_ending_fails_the_job()
    {
        var job = Create(new JsonObject { ["object"] = "Account", ["operation"] = "insert" });
        _bulk.Upload(job.Id, Encoding.UTF8.GetBytes("Name\r\nAcme\r\n"));
        _bulk.ChangeState(job.Id, "UploadComplete", ingest: true);
        await CompletesAsync(job);

        Assert.Equal(BulkJobState.Failed, job.State);
        Assert.Equal("ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF", job.ErrorMessage);
        Assert.Empty(_org.Records("Account"));
    }

    [Fact]
    public async Task An_unknown_column_fails_the_job()
    {
        var job = Create(new JsonObject { ["object"] = "Account", ["operation"] = "insert" });
        _bulk.Upload(job.Id, Encoding.UTF8.GetBytes("Name,Shoe_Size__c\nAcme,44\n"));
        _bulk.ChangeState(job.Id, "UploadComplete", ingest: true);
        await CompletesAsync(job);

        Assert.Equal(BulkJobState.Failed, job.State);
        Assert.Equal("InvalidBatch : Field name not found : Shoe_Size__c", job.ErrorMessage);
    }

    [Fact]
    public void Uploads_are_accepted_only_while_open_and_within_the_size_limit()
    {
        var small = new BulkService(_org, new QueryService(_org)) { MaxUploadBytes = 10 };
        var job = small.CreateIngest(new JsonObject { ["object"] = "Account", ["operation"] = "insert" }, "62.0", _org.DefaultUserId);
        var tooBig = Assert.Throws<BulkApiException>(() => small.Upload(job.Id, Encoding.UTF8.GetBytes("Name\nAcme Corp\n")));
        Assert.Equal("INVALIDBATCH", tooBig.ErrorCode);

        small.ChangeState(job.Id, "Aborted", ingest: true);
        var closed = Assert.Throws<BulkApiException>(() => small.Upload(job.Id, Encoding.UTF8.GetBytes("Name\n")));
        Assert.Equal(409, closed.Status);
        Assert.Equal("INVALIDJOBSTATE", closed.ErrorCode);
        Assert.Equal(409, Assert.Throws<BulkApiException>(() => small.ChangeState(job.Id, "UploadComplete", ingest: true)).Status);
    }

    [Theory]
    [InlineData("""{"object":"Acount","operation":"insert"}""", "Unable to find object: Acount")]
    [InlineData("""{"object":"Account","operation":"merge"}""", "Invalid operation: merge")]
    [InlineData("""{"object":"Account","operation":"upsert"}""", "External ID was blank for Account")]
    [InlineData("""{"object":"Account","operation":"upsert","externalIdFieldName":"Phone"}""", "does not match an External ID")]
    [InlineData("""{"object":"Account","operation":"insert","columnDelimiter":"SPACE"}""", "Invalid columnDelimiter: SPACE")]
    public void A_bad_job_is_refused_at_creation(string body, string message)
    {
        var error = Assert.Throws<BulkApiException>(() => Create(JsonNode.Parse(body)!.AsObject()));
        Assert.Equal("INVALIDJOB", error.ErrorCode);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hundred_thousand_row_upsert_is_processed_with_indexed_external_ids()
    {
        var csv = new StringBuilder("External_Id__c,Name,NumberOfEmployees\n");
        for (var i = 0; i < 100_000; i++)
        {
            csv.Append("acc-").Append(i).Append(",Account ").Append(i).Append(',').Append(i % 500).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(csv.ToString());
        for (var round = 0; round < 2; round++)
        {
            var job = Create(new JsonObject { ["object"] = "Account", ["operation"] = "upsert", ["externalIdFieldName"] = "External_Id__c" });
            _bulk.Upload(job.Id, bytes);
            _bulk.ChangeState(job.Id, "UploadComplete", ingest: true);
            await CompletesAsync(job);
            Assert.Equal(0, job.NumberRecordsFailed);
            Assert.Equal(100_000, job.NumberRecordsProcessed);
        }

        Assert.Equal(100_000, _org.Records("Account").Count);
    }

    private IngestJob Create(JsonObject body) => _bulk.CreateIngest(body, "62.0", _org.DefaultUserId);

    private static Task CompletesAsync(BulkJob job) =>
        Eventually.HoldsAsync(() => BulkJobState.IsTerminal(job.State), $"job {job.Id} finishes", state: () => job.State);

    private string Insert(string objectName, params (string Field, string Value)[] fields)
    {
        var result = _org.Save([new SaveRequest
        {
            Operation = SaveOperation.Insert,
            ObjectName = objectName,
            Fields = [.. fields.Select(f => KeyValuePair.Create(f.Field, (JsonNode?)f.Value))],
        }])[0];
        Assert.True(result.Success, result.Errors.Count > 0 ? result.Errors[0].Message : null);
        return result.Id!;
    }
}
