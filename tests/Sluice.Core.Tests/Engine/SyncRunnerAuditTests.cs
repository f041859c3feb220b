using Sluice.Core.Errors;
using Sluice.Core.State;

namespace Sluice.Core.Tests.Engine;

/// <summary>Every finished run leaves an audit record: fields sent (names, never values), destination, counts, who and when.</summary>
public sealed class SyncRunnerAuditTests
{
    [Fact]
    public async Task A_finished_run_is_audited_with_its_fields_destination_counts_and_runner()
    {
        var sync = new SyncHarness(3);
        var started = sync.Time.GetUtcNow();

        await sync.RunAsync();

        var audit = Assert.Single(sync.Store.Runs).Audit!;
        Assert.Equal(["id ← id", "traits.email ← email", "traits.name ← name"], audit.Fields.Select(f => f.ToString()));
        Assert.Equal("Fake destination", audit.Destination);
        Assert.Equal((3L, 0L), (audit.Acknowledged, audit.Rejected));
        Assert.Equal(RunActor.Current, audit.Actor);
        Assert.Equal(Environment.ProcessId, audit.Actor.ProcessId);
        Assert.Equal(started, audit.StartedAt);
        Assert.True(audit.FinishedAt >= audit.StartedAt);
    }

    [Fact]
    public async Task A_failed_run_is_audited_with_what_it_committed_before_it_failed()
    {
        var sync = new SyncHarness(250, SyncHarness.Limits(maxRecords: 100));
        var writes = 0;
        sync.Destination.OnWrite = call => Interlocked.Increment(ref writes) <= 2
            ? Task.FromResult(Sluice.Testing.Doubles.FakeDestination.AllOk(call))
            : throw SluiceException.Fatal("the write key was revoked");

        await Assert.ThrowsAsync<SluiceException>(() => sync.RunAsync());

        var run = Assert.Single(sync.Store.Runs);
        Assert.Equal(RunStatus.Failed, run.Outcome!.Status);
        Assert.Equal(200, run.Audit!.Acknowledged);
        Assert.Equal(3, run.Audit.Fields.Count);
    }
}
