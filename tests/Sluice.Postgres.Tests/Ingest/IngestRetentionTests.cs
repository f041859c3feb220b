using Microsoft.Extensions.Logging.Testing;
using Sluice.Postgres.Ingest;
using Sluice.Testing;
using static Sluice.Postgres.Tests.Ingest.IngestTestDatabase;

namespace Sluice.Postgres.Tests.Ingest;

/// <summary>
/// Retention: old events are dropped per source, in chunks, once every sync of the config has read them; only
/// <c>max_backlog</c> drops unread events, and counts each one as lost for the sync that had not read it.
/// </summary>
public sealed class IngestRetentionTests
{
    private static readonly TimeSpan Week = TimeSpan.FromDays(7);

    [Fact]
    public async Task Prune_drops_old_events_every_configured_sync_has_read_and_holds_back_the_rest()
    {
        await using var db = await CreateAsync(nameof(Prune_drops_old_events_every_configured_sync_has_read_and_holds_back_the_rest));
        var time = new TimerAwareFakeTimeProvider();
        var now = time.GetUtcNow();
        await using var queue = db.Queue(new IngestQueueOptions { PruneChunk = 3 }, time);
        var old = now - Week - TimeSpan.FromMinutes(1);
        await queue.EnqueueAsync([.. Enumerable.Range(1, 10).Select(n => Event("web", n, old)), .. Enumerable.Range(11, 4).Select(n => Event("app", n, old))], default);
        await queue.EnqueueAsync([.. Enumerable.Range(21, 5).Select(n => Event("web", n, now - Week + TimeSpan.FromMinutes(1)))], default);

        // The sync read the first four old events; the second web reader has read all of them; app's reader never ran.
        var read = await db.ReadAsync("web", null, 15);
        await SaveCheckpointAsync(db, "web_to_warehouse", read[3].Position.ToCheckpoint());
        await SaveCheckpointAsync(db, "web_to_events", read[14].Position.ToCheckpoint());

        var result = await queue.PruneAsync(new IngestRetention("web", Week, ["web_to_warehouse", "web_to_events"]), default);

        Assert.Equal(4, result.Deleted);
        Assert.Equal(["web_to_warehouse"], result.HeldBackBy);
        Assert.Empty(result.Lost);
        Assert.Equal(11, await db.CountAsync("source = 'web'"));
        Assert.Equal(0, await db.CountAsync($"source = 'web' AND event_id <= '{Id(4)}'"));

        var neverRan = await queue.PruneAsync(new IngestRetention("app", Week, ["app_to_warehouse"]), default);
        Assert.Equal(0, neverRan.Deleted);
        Assert.Equal(["app_to_warehouse"], neverRan.HeldBackBy);
        Assert.Equal(4, await db.CountAsync("source = 'app'"));

        // Once the sync has read on, the rest of the old events go; the young ones stay.
        await SaveCheckpointAsync(db, "web_to_warehouse", read[14].Position.ToCheckpoint());
        var caughtUp = await queue.PruneAsync(new IngestRetention("web", Week, ["web_to_warehouse", "web_to_events"]), default);
        Assert.Equal(6, caughtUp.Deleted);
        Assert.Empty(caughtUp.HeldBackBy);
        Assert.Equal(5, await db.CountAsync("source = 'web'"));
    }

    [Fact]
    public async Task Only_syncs_of_the_config_hold_events_back()
    {
        await using var db = await CreateAsync(nameof(Only_syncs_of_the_config_hold_events_back));
        var time = new TimerAwareFakeTimeProvider();
        await using var queue = db.Queue(time: time);
        await queue.EnqueueAsync([.. Enumerable.Range(1, 3).Select(n => Event("web", n, time.GetUtcNow() - Week - TimeSpan.FromHours(1)))], default);
        // A sync that once read the source (and stopped early) was then removed from the config.
        var read = await db.ReadAsync("web", null, 3);
        await SaveCheckpointAsync(db, "removed_sync", read[0].Position.ToCheckpoint());

        var result = await queue.PruneAsync(new IngestRetention("web", Week, []), default);

        Assert.Equal(3, result.Deleted);
        Assert.Empty(result.HeldBackBy);
        Assert.Empty(result.Lost);
    }

    [Fact]
    public async Task Max_backlog_drops_the_oldest_events_and_counts_each_unread_one_as_lost_for_its_sync()
    {
        await using var db = await CreateAsync(nameof(Max_backlog_drops_the_oldest_events_and_counts_each_unread_one_as_lost_for_its_sync));
        var time = new TimerAwareFakeTimeProvider();
        await using var queue = db.Queue(new IngestQueueOptions { PruneChunk = 2 }, time);
        await queue.EnqueueAsync(Events("web", 1, 12), default);
        var read = await db.ReadAsync("web", null, 12);
        await SaveCheckpointAsync(db, "behind", read[3].Position.ToCheckpoint()); // read 1-4
        await SaveCheckpointAsync(db, "ahead", read[8].Position.ToCheckpoint()); // read 1-9
        var retention = new IngestRetention("web", Week, ["behind", "ahead", "never_ran"], MaxBacklog: 5);

        var result = await queue.PruneAsync(retention, default);

        // 12 events, 5 may stay: 1-7 go. "behind" had not read 5-7, "never_ran" none of them.
        Assert.Equal(7, result.Deleted);
        Assert.Equal(new Dictionary<string, long> { ["behind"] = 3, ["never_ran"] = 7 }, result.Lost);
        Assert.Equal(5, await db.CountAsync("source = 'web'"));
        Assert.Equal(0, await db.CountAsync($"source = 'web' AND event_id <= '{Id(7)}'"));

        // Counted in the state store, where another process (sluice status) reads it, and only ever added to.
        Assert.Equal(0, (await queue.PruneAsync(retention, default)).Deleted);
        await queue.EnqueueAsync(Events("web", 13, 2), default);
        time.Advance(TimeSpan.FromMinutes(5));
        var again = await queue.PruneAsync(retention, default);
        Assert.Equal(2, again.Deleted);
        Assert.Equal(new Dictionary<string, long> { ["behind"] = 2, ["ahead"] = 0, ["never_ran"] = 2 }.Where(p => p.Value > 0).ToDictionary(), again.Lost);

        var backlog = (await IngestBacklog.ReadAsync(db.DataSource, Schema, [("behind", "web"), ("ahead", "web"), ("never_ran", "web")], default))
            .ToDictionary(b => b.Sync);
        Assert.Equal(5, backlog["behind"].Lost);
        Assert.Equal(time.GetUtcNow(), backlog["behind"].LastLostAt);
        Assert.Equal(0, backlog["ahead"].Lost);
        Assert.Null(backlog["ahead"].LastLostAt);
        Assert.Equal(9, backlog["never_ran"].Lost);
        // Events 10-14 are left, read by none of them yet.
        Assert.Equal(5, backlog["behind"].Events);
        Assert.Equal(5, backlog["ahead"].Events);
        Assert.NotNull(backlog["ahead"].OldestReceivedAt);
    }

    [Fact]
    public async Task The_queue_applies_retention_at_start_and_then_every_interval_and_reports_it()
    {
        await using var db = await CreateAsync(nameof(The_queue_applies_retention_at_start_and_then_every_interval_and_reports_it));
        var time = new TimerAwareFakeTimeProvider();
        await using (var filler = db.Queue())
        {
            await filler.EnqueueAsync([Event("web", 1, time.GetUtcNow() - TimeSpan.FromDays(2)), Event("web", 2, time.GetUtcNow() - TimeSpan.FromHours(12))], default);
        }

        var read = await db.ReadAsync("web", null, 2);
        await SaveCheckpointAsync(db, "web_to_warehouse", read[1].Position.ToCheckpoint());

        var log = new FakeLogger();
        var options = new IngestQueueOptions
        {
            Retention = [new IngestRetention("web", TimeSpan.FromDays(1), ["web_to_warehouse"])],
            PruneInterval = TimeSpan.FromDays(1),
            Log = log,
        };
        await using var queue = db.Queue(options, time);

        await time.WaitForTimersAsync(1); // the first pass is done; the next is a day away
        Assert.Equal(1, await db.CountAsync());
        Assert.Contains("dropped 1 events older than", Assert.Single(Lines()), StringComparison.Ordinal);

        // A day later the second event is old too, and the next pass drops it.
        time.AdvanceToNextTimer();
        await time.WaitForTimersAsync(1);
        Assert.Equal(0, await db.CountAsync());
        Assert.Equal(2, Lines().Count);

        List<string> Lines()
        {
            return [.. log.Collector.GetSnapshot().Select(r => r.Message)];
        }
    }

    [Fact]
    public async Task The_queue_warns_when_it_holds_events_back_and_when_max_backlog_deletes_unread_ones()
    {
        await using var db = await CreateAsync(nameof(The_queue_warns_when_it_holds_events_back_and_when_max_backlog_deletes_unread_ones));
        var time = new TimerAwareFakeTimeProvider();
        await using (var filler = db.Queue())
        {
            await filler.EnqueueAsync([Event("web", 1, time.GetUtcNow() - TimeSpan.FromDays(3)), Event("web", 2, time.GetUtcNow() - TimeSpan.FromDays(2))], default);
        }

        var log = new FakeLogger();
        var options = new IngestQueueOptions
        {
            Retention = [new IngestRetention("web", TimeSpan.FromDays(1), ["web_to_warehouse"], MaxBacklog: 1)],
            PruneInterval = TimeSpan.FromMinutes(1),
            Log = log,
        };
        await using var queue = db.Queue(options, time);

        await time.WaitForTimersAsync(1);
        Assert.Equal(1, await db.CountAsync());
        var lines = Lines();
        Assert.Equal(2, lines.Count);
        Assert.Contains(lines, l => l.StartsWith("warning: ", StringComparison.Ordinal)
            && l.Contains("over max_backlog 1", StringComparison.Ordinal)
            && l.Contains("1 of them had not been read by sync web_to_warehouse: lost", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("warning: ", StringComparison.Ordinal)
            && l.Contains("holding back events older than 1.00:00:00", StringComparison.Ordinal)
            && l.Contains("web_to_warehouse", StringComparison.Ordinal));

        // Still held back a minute later: said once, not every pass.
        time.AdvanceToNextTimer();
        await time.WaitForTimersAsync(1);
        Assert.Equal(2, Lines().Count);

        List<string> Lines()
        {
            return [.. log.Collector.GetSnapshot().Select(r => r.Message)];
        }
    }

    private static async Task SaveCheckpointAsync(IngestTestDatabase db, string sync, Core.Checkpoints.Checkpoint checkpoint)
    {
        await using var command = db.DataSource.CreateCommand(
            $"""
            WITH s AS (INSERT INTO {Schema}.syncs (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id)
            INSERT INTO {Schema}.checkpoints (sync_id, format, version, value, generation) SELECT id, $2, $3, $4, 1 FROM s
            ON CONFLICT (sync_id) DO UPDATE SET value = excluded.value, generation = {Schema}.checkpoints.generation + 1
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = sync });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = checkpoint.Format });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = checkpoint.Version });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = checkpoint.Value });
        await command.ExecuteNonQueryAsync();
    }
}
