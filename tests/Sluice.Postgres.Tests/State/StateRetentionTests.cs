using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.State;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.State;

/// <summary><c>state.retention:</c> on a real state store, with a fake clock: history goes, dedup memory stays.</summary>
public sealed class StateRetentionTests
{
    [Fact]
    public async Task Old_history_goes_new_history_and_what_dedup_needs_stay_and_the_watermark_says_what_was_pruned()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Old_history_goes_new_history_and_what_dedup_needs_stay_and_the_watermark_says_what_was_pruned));
        var store = await PostgresStateStore.OpenAsync(db);
        long oldRun, midRun, newRun;
        await using (var lease = (await store.TryAcquireAsync("users", default))!)
        {
            await lease.LoadCheckpointAsync(default);
            oldRun = await lease.StartRunAsync(RunKind.Incremental, default);
            await lease.CommitBatchAsync(new BatchCommit(oldRun, 0, [new LedgerEntry("1", "m-1", ChangeOperation.Upsert), new LedgerEntry("2", "m-2", ChangeOperation.Upsert)],
                [new DeadLetter("3", "m-3", "refused", "{}")], new Checkpoint("t", 1, "1"), 3)
            {
                RecordStates = [new RecordState("1", [1]) { Status = RecordStatus.Sent, Origin = "users" }, new RecordState("2", null) { Status = RecordStatus.Sent, DestinationId = "D-2", Origin = "users" }],
            }, default);
            await lease.FinishRunAsync(oldRun, new RunOutcome(RunStatus.Succeeded), default);
            midRun = await lease.StartRunAsync(RunKind.Incremental, default);
            await lease.FinishRunAsync(midRun, new RunOutcome(RunStatus.Failed, "boom"), default);
            newRun = await lease.StartRunAsync(RunKind.Incremental, default);
            await lease.CommitBatchAsync(new BatchCommit(newRun, 0, [new LedgerEntry("4", "m-4", ChangeOperation.Upsert)], [], new Checkpoint("t", 1, "2"), 1), default);
            await lease.FinishRunAsync(newRun, new RunOutcome(RunStatus.Succeeded), default);
        }

        // The first two runs and everything they wrote are 100 days old; the dead letter was replayed then.
        await ExecuteAsync(db, $"""
            UPDATE sluice.send_ledger SET acknowledged_at = now() - interval '100 days' WHERE run_id = {oldRun};
            UPDATE sluice.runs SET started_at = now() - interval '100 days', finished_at = now() - interval '100 days' WHERE id IN ({oldRun}, {midRun});
            UPDATE sluice.dead_letters SET created_at = now() - interval '100 days', replayed_at = now() - interval '99 days', replay_outcome = 'delivered';
            INSERT INTO sluice.audit_log (sync_id, sync_name, run_id, status, destination, fields, acknowledged, rejected, os_user, host, pid, started_at, finished_at)
            SELECT id, name, {oldRun}, 'succeeded', 'segment', '[]', 2, 1, 'test', 'host', 1, now() - interval '400 days', now() - interval '400 days' FROM sluice.syncs;
            INSERT INTO sluice.audit_log (sync_id, sync_name, run_id, status, destination, fields, acknowledged, rejected, os_user, host, pid, started_at, finished_at)
            SELECT id, name, {newRun}, 'succeeded', 'segment', '[]', 1, 0, 'test', 'host', 1, now(), now() FROM sluice.syncs;
            UPDATE sluice.record_state SET updated_at = now() - interval '100 days';
            """);
        var before = await TotalsAsync(db);
        var clock = new TimerAwareFakeTimeProvider(DateTimeOffset.UtcNow);
        var pruner = store.Retention(StateRetention.Default, clock);
        var small = new Sluice.State.Retention.StateRetentionPruner(db, "sluice", StateRetention.Default, clock) { ChunkSize = 1 };

        var counted = await small.CountAsync(default);
        var pruned = await small.PruneAsync(default);

        Assert.Equal(counted, pruned);
        Assert.Equal((1L, 2L, 1L, 1L, 0L), (pruned.Sends, pruned.Runs, pruned.DeadLetters, pruned.Audit, pruned.Records));
        Assert.Equal(new[] { newRun }, await LongsAsync(db, "SELECT id FROM sluice.runs ORDER BY id"));
        Assert.Equal(new[] { newRun }, await LongsAsync(db, "SELECT DISTINCT run_id FROM sluice.send_ledger"));
        Assert.Equal(0, (await LongsAsync(db, "SELECT count(*) FROM sluice.dead_letters"))[0]);
        Assert.Equal(0, (await LongsAsync(db, $"SELECT count(*) FROM sluice.run_batches WHERE run_id = {oldRun}"))[0]);
        // What keeps a record from being sent twice is untouched: its fingerprint, its destination id, the checkpoint.
        await using (var lease = (await store.TryAcquireAsync("users", default))!)
        {
            Assert.Equal(new Checkpoint("t", 1, "2"), await lease.LoadCheckpointAsync(default));
            var known = await lease.RecordLookup.FindAsync(["1", "2"], default);
            Assert.Equal([1], known["1"].Fingerprint);
            Assert.Equal("D-2", known["2"].DestinationId);
        }

        // Totals over every run (sluice_sync_records_total, failed runs) still count the pruned ones.
        Assert.Equal(before, await TotalsAsync(db));
        var history = new RecordHistory(db);
        var watermark = await history.LoadPrunedAsync("users", default);
        Assert.NotNull(watermark);
        Assert.NotNull(watermark.Value.Sends);
        Assert.NotNull(watermark.Value.DeadLetters);
        Assert.Empty(await history.LoadAsync("users", "1", default));
        Assert.Single(await history.LoadAsync("users", "4", default));

        // A year on, the rest goes too, except each sync's latest run (and the run its checkpoint names).
        clock.Advance(TimeSpan.FromDays(366));
        var later = await pruner.PruneAsync(default);
        Assert.Equal((1L, 0L), (later.Sends, later.Runs));
        Assert.Equal(new[] { newRun }, await LongsAsync(db, "SELECT id FROM sluice.runs"));
        Assert.Equal(0, (await pruner.CountAsync(default)).Sends);
    }

    [Fact]
    public async Task Unresolved_dead_letters_and_waiting_records_stay_whatever_their_age()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Unresolved_dead_letters_and_waiting_records_stay_whatever_their_age));
        var store = await PostgresStateStore.OpenAsync(db);
        await using (var lease = (await store.TryAcquireAsync("users", default))!)
        {
            await lease.LoadCheckpointAsync(default);
            var run = await lease.StartRunAsync(RunKind.Incremental, default);
            await lease.CommitBatchAsync(new BatchCommit(run, 0, [], [new DeadLetter("3", "m-3", "refused", "{}")], new Checkpoint("t", 1, "1"), 1)
            {
                RecordStates = [new RecordState("5", null) { Status = RecordStatus.Waiting, Origin = "users" }],
            }, default);
            await lease.FinishRunAsync(run, new RunOutcome(RunStatus.Succeeded), default);
        }

        await ExecuteAsync(db, "UPDATE sluice.dead_letters SET created_at = now() - interval '1000 days'; UPDATE sluice.record_state SET updated_at = now() - interval '1000 days'");

        var pruned = await store.Retention(StateRetention.Default, new TimerAwareFakeTimeProvider(DateTimeOffset.UtcNow)).PruneAsync(default);

        Assert.True(pruned.IsEmpty, pruned.ToString());
        Assert.Equal(1, (await LongsAsync(db, "SELECT count(*) FROM sluice.dead_letters"))[0]);
        Assert.Equal(1, (await LongsAsync(db, "SELECT count(*) FROM sluice.record_state"))[0]);
    }

    [Fact]
    public void Retention_is_read_from_the_config_with_defaults_and_forever()
    {
        var config = SluiceConfig.Parse("""
            connections:
              app: {type: postgres, url: "postgres://localhost/app"}
            state:
              retention: {ledger: 180d, audit: forever}
            """, "sluice.yaml");

        Assert.Equal(StateRetention.Default with { Ledger = TimeSpan.FromDays(180), Audit = null }, config.State.Retention);
        var error = Assert.Throws<ConfigException>(() => SluiceConfig.Parse("""
            connections:
              app: {type: postgres, url: "postgres://localhost/app"}
            state:
              retention: {runs: soon}
            """, "sluice.yaml"));
        Assert.Contains("state.retention.runs: 'runs' must be a duration of an hour or more, or forever", error.Message, StringComparison.Ordinal);
    }

    private static async Task<(long Acknowledged, long Failed)> TotalsAsync(NpgsqlDataSource db)
    {
        var view = new PostgresSyncStateView(db, "sluice");
        var status = (await view.StatusAsync(default)).Single(s => s.Name == "users");
        return (status.TotalAcknowledged, status.FailedRuns);
    }

    private static async Task<long[]> LongsAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<long>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetInt64(0));
        }

        return [.. values];
    }

    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
