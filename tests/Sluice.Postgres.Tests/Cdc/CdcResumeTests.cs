using NpgsqlTypes;
using Sluice.Core.Records;
using Sluice.Postgres.Cdc;

namespace Sluice.Postgres.Tests.Cdc;

/// <summary>Confirming the slot behind the engine's commits, resuming from a checkpoint, and advancing an idle slot.</summary>
public sealed class CdcResumeTests
{
    private const string Accounts = "CREATE TABLE accounts (id int PRIMARY KEY, seats int);";

    [Fact]
    public async Task The_slot_is_confirmed_only_past_transactions_whose_every_change_was_committed_and_a_restart_resumes_after_the_checkpoint()
    {
        await using var bed = await CdcTestBed.CreateAsync(nameof(The_slot_is_confirmed_only_past_transactions_whose_every_change_was_committed_and_a_restart_resumes_after_the_checkpoint), Accounts);
        List<Change> first;
        NpgsqlLogSequenceNumber start;
        await using (var probe = new StreamProbe(bed.Source("resume", "table: accounts\ncdc: {start: now}"), ["id", "seats"]))
        {
            await bed.EventuallyReadyAsync("sluice_resume");
            start = (await bed.ConfirmedAsync("sluice_resume"))!.Value;
            // One call is one transaction (the driver sends a batch under one Sync).
            await bed.ExecuteAsync("INSERT INTO accounts VALUES (1, 1)");
            await bed.ExecuteAsync("INSERT INTO accounts VALUES (2, 1); INSERT INTO accounts VALUES (3, 1); INSERT INTO accounts VALUES (4, 1)");
            await bed.ExecuteAsync("UPDATE accounts SET seats = 2 WHERE id = 1");
            first = await probe.TakeAsync(5);
            var source = (CdcSource)probe.Source;

            // Half of the second transaction is committed: the slot may pass the first one, not the second.
            await source.CommittedAsync(first[2].Position.ToCheckpoint(), default);
            await CdcTestBed.EventuallyAsync(async () => await bed.ConfirmedAsync("sluice_resume") > start, "the first transaction confirmed");
            var confirmed = (await bed.ConfirmedAsync("sluice_resume"))!.Value;
            Assert.True(confirmed <= ((CdcPosition)first[1].Position).CommitLsn, $"confirmed {confirmed} must not reach the second transaction's commit {((CdcPosition)first[1].Position).CommitLsn}");
            Assert.True(confirmed > ((CdcPosition)first[0].Position).CommitLsn);
        }

        // The process stops here. A restart from the committed checkpoint streams the rest, each change once and with its old version.
        await using (var again = new StreamProbe(bed.Source("resume", "table: accounts\ncdc: {start: now}"), ["id", "seats"], first[2].Position.ToCheckpoint()))
        {
            await bed.ExecuteAsync("INSERT INTO accounts VALUES (5, 1)");
            var rest = await again.TakeAsync(3);
            Assert.Equal(first.Skip(3).Select(c => c.Version), rest.Take(2).Select(c => c.Version));
            Assert.Equal(["4", "1", "5"], rest.Select(c => c.Key));
        }
    }

    [Fact]
    public async Task An_idle_slot_advances_with_heartbeats()
    {
        await using var bed = await CdcTestBed.CreateAsync(nameof(An_idle_slot_advances_with_heartbeats), Accounts + "CREATE TABLE other (id int PRIMARY KEY);");
        await using var probe = new StreamProbe(bed.Source("idle", "table: accounts\ncdc: {start: now}", heartbeat: TimeSpan.FromMilliseconds(100)), ["id"]);
        await bed.EventuallyReadyAsync("sluice_idle");
        var start = (await bed.ConfirmedAsync("sluice_idle"))!.Value;

        // Nothing touches the followed table: only the heartbeats (and WAL of other tables) move the slot.
        await CdcTestBed.EventuallyAsync(async () => await bed.ConfirmedAsync("sluice_idle") > start, "the idle slot advanced");
        await bed.ExecuteAsync("INSERT INTO other VALUES (1)");
        var afterOther = await bed.ScalarAsync<NpgsqlLogSequenceNumber>("SELECT pg_current_wal_lsn()");
        await CdcTestBed.EventuallyAsync(async () => await bed.ConfirmedAsync("sluice_idle") >= afterOther, "the slot passed WAL of tables it does not follow");
    }

    [Fact]
    public async Task A_change_handed_on_but_not_committed_holds_the_slot_however_idle_the_database()
    {
        await using var bed = await CdcTestBed.CreateAsync(nameof(A_change_handed_on_but_not_committed_holds_the_slot_however_idle_the_database), Accounts);
        await using var probe = new StreamProbe(bed.Source("held", "table: accounts\ncdc: {start: now}", heartbeat: TimeSpan.FromMilliseconds(100)), ["id"]);
        await bed.EventuallyReadyAsync("sluice_held");
        await bed.ExecuteAsync("INSERT INTO accounts VALUES (1, 1)");
        var change = await probe.NextAsync();
        var commit = ((CdcPosition)change.Position).CommitLsn;

        // Heartbeats go on; once the WAL has moved well past the change, the slot must still be before its commit.
        var past = await bed.ScalarAsync<NpgsqlLogSequenceNumber>("SELECT pg_current_wal_lsn()");
        await CdcTestBed.EventuallyAsync(async () => await bed.ScalarAsync<NpgsqlLogSequenceNumber>("SELECT pg_current_wal_lsn()") > past, "heartbeats written");
        Assert.True(await bed.ConfirmedAsync("sluice_held") <= commit);

        await ((CdcSource)probe.Source).CommittedAsync(change.Position.ToCheckpoint(), default);
        await CdcTestBed.EventuallyAsync(async () => await bed.ConfirmedAsync("sluice_held") > commit, "confirmed once committed");
    }
}
