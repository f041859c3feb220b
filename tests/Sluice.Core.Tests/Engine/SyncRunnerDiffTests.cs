using System.Text;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Testing;
using Sluice.Testing.Doubles;
using static Sluice.Core.Tests.Engine.SyncHarness;

namespace Sluice.Core.Tests.Engine;

/// <summary>The engine with a diffing source: modes (<c>on:</c>) and fingerprints that move only with commits.</summary>
public sealed class SyncRunnerDiffTests
{
    [Fact]
    public async Task Only_added_and_changed_records_are_sent_and_the_fingerprints_follow_the_source()
    {
        var bed = new Bed(10);
        await bed.RunAsync();
        Assert.Equal(10, bed.SentKeys().Count);
        Assert.Equal(10, bed.Store.RecordStates.Count);

        bed.Source.Set(2, "new2@example.com");
        bed.Source.Set(11, "user11@example.com");
        bed.Source.Remove(3);
        var second = await bed.RunAsync();

        Assert.Equal(["11", "2"], bed.SentKeys(second.RunId).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(bed.Store.RecordStates, s => s.Key == "3"); // not sent, but forgotten: the source no longer has it
        Assert.Equal(FakeDiffSource.Fingerprint("new2@example.com"), bed.Store.RecordStates.Single(s => s.Key == "2").Fingerprint);

        var third = await bed.RunAsync();
        Assert.Equal(0, third.Read);
        Assert.Empty(bed.SentKeys(third.RunId));
    }

    [Fact]
    public async Task Deleted_records_are_sent_as_deletes_when_the_mode_asks_for_them()
    {
        var bed = new Bed(5, ChangeKinds.AddedOrChanged | ChangeKinds.Deleted, acceptsDeletes: true);
        await bed.RunAsync();

        bed.Source.Remove(3);
        var second = await bed.RunAsync();

        var entry = Assert.Single(bed.Store.Commits.Where(c => c.RunId == second.RunId).SelectMany(c => c.Sent));
        Assert.Equal(("3", ChangeOperation.Delete), (entry.RecordKey, entry.Operation));
        Assert.Contains("\"delete\":3", Encoding.UTF8.GetString(bed.Destination.Calls[^1].Records[0].Payload.Span), StringComparison.Ordinal);
        Assert.Equal(["1", "2", "4", "5"], bed.Store.RecordStates.Select(s => s.Key));
    }

    [Fact]
    public async Task A_record_the_destination_handles_without_writing_is_left_out_not_sent()
    {
        var bed = new Bed(4);
        bed.Destination.OnWrite = call => Task.FromResult<IReadOnlyList<WriteResult>>(
            [.. call.Keys.Select(k => k == "2" ? WriteResult.NotWritten("left out: enrich mode, no existing row") : WriteResult.Acknowledged(k))]);

        var result = await bed.RunAsync();

        Assert.Equal(["1", "3", "4"], bed.SentKeys().Order(StringComparer.Ordinal));
        Assert.Equal((4L, 3L, 0L), (result.Read, result.Acknowledged, result.Rejected));
        var committed = bed.Store.Commits.SelectMany(c => c.RecordStates).ToDictionary(s => s.Key);
        Assert.Equal((RecordStatus.LeftOut, null), (committed["2"].Status, committed["2"].DestinationId));
        Assert.Equal((RecordStatus.Sent, "3"), (committed["3"].Status, committed["3"].DestinationId));
    }

    [Fact]
    public async Task A_mode_of_added_only_leaves_changes_unsent_but_remembers_what_the_source_returned()
    {
        var bed = new Bed(5, ChangeKinds.Added);
        await bed.RunAsync();

        bed.Source.Set(2, "new2@example.com");
        bed.Source.Set(6, "user6@example.com");
        var second = await bed.RunAsync();

        Assert.Equal(["6"], bed.SentKeys(second.RunId));
        Assert.Equal(2, second.Read);
        Assert.Equal(FakeDiffSource.Fingerprint("new2@example.com"), bed.Store.RecordStates.Single(s => s.Key == "2").Fingerprint);
    }

    [Fact]
    public async Task A_mode_of_deleted_only_remembers_every_record_and_sends_only_deletes()
    {
        var bed = new Bed(3, ChangeKinds.Deleted, acceptsDeletes: true);
        var first = await bed.RunAsync();
        Assert.Empty(bed.Destination.Calls);
        Assert.Equal(3, first.Read);
        Assert.Equal(3, bed.Store.RecordStates.Count);

        bed.Source.Remove(1);
        bed.Source.Set(2, "new2@example.com");
        var second = await bed.RunAsync();

        Assert.Equal(["1"], bed.SentKeys(second.RunId));
    }

    [Fact]
    public async Task Deletes_to_a_destination_that_cannot_delete_are_a_config_error_naming_on()
    {
        var bed = new Bed(3, ChangeKinds.Deleted, acceptsDeletes: false);

        var error = await Assert.ThrowsAsync<ConfigException>(() => bed.RunAsync());

        Assert.Contains("cannot delete records", error.Message, StringComparison.Ordinal);
        Assert.Equal("syncs.users_to_fake.on", error.Location?.KeyPath);
        Assert.Empty(bed.Destination.Calls);
    }

    [Fact]
    public async Task A_cursor_source_cannot_honour_a_mode_other_than_added_or_changed()
    {
        var harness = new SyncHarness(3) { Options = new SyncRunOptions { On = ChangeKinds.Added } };

        var error = await Assert.ThrowsAsync<ConfigException>(() => harness.RunAsync());

        Assert.Contains("cannot tell added records apart", error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Destination.Calls);
    }

    [Fact]
    public async Task A_batch_that_gives_up_keeps_its_old_fingerprints_so_the_next_run_resends_only_it()
    {
        var bed = new Bed(9, limits: Limits(maxRecords: 3), retry: new RetryOptions { MaxAttempts = 2 });
        bed.Destination.OnWrite = call => call.Keys.Contains("4")
            ? throw SluiceException.Transient("503 from the fake")
            : Task.FromResult(FakeDestination.AllOk(call));

        await Assert.ThrowsAsync<SluiceException>(() => bed.RunAsync());
        Assert.Equal(["1", "2", "3"], bed.Store.RecordStates.Select(s => s.Key)); // only the acknowledged batch moved

        bed.Destination.OnWrite = call => Task.FromResult(FakeDestination.AllOk(call));
        var second = await bed.RunAsync();

        Assert.Equal(["4", "5", "6", "7", "8", "9"], bed.SentKeys(second.RunId).Order(StringComparer.Ordinal));
        Assert.Equal(9, bed.Store.RecordStates.Count);
    }

    [Fact]
    public async Task A_long_stretch_of_unsent_changes_is_committed_in_pieces()
    {
        var bed = new Bed(25_000, ChangeKinds.Deleted, acceptsDeletes: true);

        var result = await bed.RunAsync();

        Assert.Empty(bed.Destination.Calls);
        Assert.Equal(25_000, result.Read);
        Assert.Equal([10_000, 10_000, 5_000], bed.Store.Commits.Select(c => c.RecordStates.Count));
        Assert.Equal(25_000, bed.Store.RecordStates.Count);
    }

    /// <summary>A <see cref="FakeDiffSource"/> synced to a <see cref="FakeDestination"/> with a mode, on a fake clock.</summary>
    private sealed class Bed(int rows, ChangeKinds on = ChangeKinds.AddedOrChanged, bool acceptsDeletes = false, DestinationLimits? limits = null, RetryOptions? retry = null)
    {
        public TimerAwareFakeTimeProvider Time { get; } = new();

        public FakeDiffSource Source { get; } = new(rows);

        public FakeDestination Destination { get; } = new(limits) { AcceptsDeletes = acceptsDeletes };

        public InMemoryStateStore Store { get; } = new();

        public async Task<RunResult> RunAsync()
        {
            var options = new SyncRunOptions
            {
                On = on,
                OnLocation = new ConfigLocation("test.yaml", 3, 5, "syncs.users_to_fake.on"),
                Retry = retry ?? new RetryOptions(),
            };
            await using var gate = new DeliveryGate(new RateLimitOptions(), Time);
            var sync = new SyncDefinition(SyncName, Source, SyncHarness.Mapping, Destination, gate, options);
            var run = Task.Run(() => new SyncRunner(Store, Time).RunAsync(sync, RunKind.Incremental, default));
            await Time.AdvanceUntilCompletedAsync(run);
            return await run;
        }

        public IReadOnlyList<string> SentKeys(long? runId = null) =>
            Store.Commits.Where(c => runId is null || c.RunId == runId).SelectMany(c => c.Sent).Select(e => e.RecordKey).ToList();
    }
}
