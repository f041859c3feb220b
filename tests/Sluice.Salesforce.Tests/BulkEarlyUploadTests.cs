using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Salesforce.Destination;
using Sluice.Testing;

namespace Sluice.Salesforce.Tests;

/// <summary>
/// A large batch's Bulk upload made while the engine fills the batch (<see cref="IEarlyBatchWrites"/>): the job exists and
/// its rows are uploaded before the batch is written, the write closes that very job, and a batch that turns out to
/// differ from what was uploaded is sent as usual while the early job is aborted with nothing of it processed.
/// </summary>
public sealed class BulkEarlyUploadTests : IAsyncLifetime
{
    private SalesforceBed _bed = null!;

    public async Task InitializeAsync() => _bed = await SalesforceBed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private async Task<(SalesforceDestination Destination, CompiledMapping Mapping)> OpenAsync(int bulkThreshold = 50)
    {
        var destination = SalesforceBed.Destination(_bed.Client(), SalesforceBed.Upsert(bulkThreshold: bulkThreshold));
        var shape = await DestinationShapes.ResolveAsync(destination, CancellationToken.None);
        return (destination, CompiledMapping.Compile(SalesforceBed.AccountMapping, SalesforceBed.Accounts, shape));
    }

    private static List<EncodedRecord> Encode(SalesforceDestination destination, CompiledMapping mapping, int count) =>
        [.. Enumerable.Range(1, count).Select(i => destination.Encode(SalesforceBed.Change(mapping, $"acct-{i}", SalesforceBed.Account(i)), mapping))];

    private int Requests(string method, string pathEnd) =>
        _bed.Emulator.Requests.Count(r => r.Method == method && r.Path.EndsWith(pathEnd, StringComparison.Ordinal));

    private async Task<List<(string State, long Processed)>> JobsAsync()
    {
        using var list = await _bed.Client().GetJsonAsync("jobs/ingest", CancellationToken.None);
        return [.. list.RootElement.GetProperty("records").EnumerateArray().Select(j => (j.GetProperty("state").GetString()!, j.GetProperty("numberRecordsProcessed").GetInt64()))];
    }

    [Fact]
    public async Task The_job_is_created_and_its_rows_uploaded_while_the_batch_fills_and_the_write_closes_that_job()
    {
        var (destination, mapping) = await OpenAsync();
        var batch = Encode(destination, mapping, 120);
        var early = Assert.IsAssignableFrom<IEarlyBatchWrites>(destination).StartBatch(CancellationToken.None)!;
        Assert.NotNull(early);

        foreach (var record in batch.Take(49))
        {
            await early.AddAsync(record, CancellationToken.None);
        }

        Assert.Equal(0, Requests("POST", "/jobs/ingest")); // below bulk_threshold: no job yet
        foreach (var record in batch.Skip(49))
        {
            await early.AddAsync(record, CancellationToken.None);
        }

        await Eventually.HoldsAsync(() => Requests("POST", "/jobs/ingest") == 1, "the job is created once the batch reaches bulk_threshold, before it is cut");
        await early.CutAsync(CancellationToken.None);
        await Eventually.HoldsAsync(() => Requests("PUT", "/batches") == 1, "the rows are uploaded before the batch is written");
        Assert.Empty(_bed.Held());

        var results = await destination.WriteAsync(batch, CancellationToken.None);
        await early.DisposeAsync();

        for (var i = 0; i < batch.Count; i++)
        {
            Assert.Equal(WriteStatus.Ok, results[i].Status);
            Assert.Equal(_bed.Held().Single(r => (string?)r.Get("External_Id__c") == $"acct-{i + 1}").Id, results[i].DestinationId);
        }

        Assert.Equal(120, _bed.Held().Count);
        Assert.Equal(1, Requests("POST", "/jobs/ingest"));
        Assert.Equal(1, Requests("PUT", "/batches"));
        Assert.Equal([("JobComplete", 120L)], await JobsAsync());
    }

    [Fact]
    public async Task A_batch_that_differs_from_its_early_upload_is_sent_as_usual_and_the_early_job_is_aborted_unprocessed()
    {
        var (destination, mapping) = await OpenAsync();
        var batch = Encode(destination, mapping, 120);
        var early = ((IEarlyBatchWrites)destination).StartBatch(CancellationToken.None)!;
        foreach (var record in batch)
        {
            await early.AddAsync(record, CancellationToken.None);
        }

        await early.CutAsync(CancellationToken.None);

        // Identification left the first ten out (unchanged since they were sent): the upload no longer fits the batch.
        var written = batch.Skip(10).ToList();
        var results = await destination.WriteAsync(written, CancellationToken.None);
        await early.DisposeAsync();

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(110, _bed.Held().Count);
        Assert.DoesNotContain(_bed.Held(), r => (string?)r.Get("External_Id__c") is "acct-1" or "acct-10");
        var jobs = await JobsAsync();
        Assert.Equal(2, jobs.Count);
        Assert.Contains(("Aborted", 0L), jobs);
        Assert.Contains(("JobComplete", 110L), jobs);
    }

    [Fact]
    public async Task An_early_upload_never_written_is_aborted_when_the_destination_closes()
    {
        var (destination, mapping) = await OpenAsync();
        var early = ((IEarlyBatchWrites)destination).StartBatch(CancellationToken.None)!;
        foreach (var record in Encode(destination, mapping, 60))
        {
            await early.AddAsync(record, CancellationToken.None);
        }

        await destination.DisposeAsync();

        Assert.Equal(("Aborted", 0L), Assert.Single(await JobsAsync()));
        Assert.Empty(_bed.Held());
    }

    [Fact]
    public async Task A_find_or_create_or_update_destination_uploads_nothing_early()
    {
        var match = SalesforceBed.Destination(_bed.Client(), new SalesforceDestinationOptions { Object = "Account", Operation = SalesforceOperation.Upsert, ExternalId = "External_Id__c", Match = ("Name", "name") });
        var update = SalesforceBed.Destination(_bed.Client(), new SalesforceDestinationOptions { Object = "Account", Operation = SalesforceOperation.Update, ExternalId = "External_Id__c" });

        Assert.Null(((IEarlyBatchWrites)match).StartBatch(CancellationToken.None));
        Assert.Null(((IEarlyBatchWrites)update).StartBatch(CancellationToken.None));
    }
}
