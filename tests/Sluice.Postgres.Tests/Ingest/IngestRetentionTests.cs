using Sluice.Postgres.Ingest;
using Sluice.Testing;
using static Sluice.Postgres.Tests.Ingest.IngestTestDatabase;

namespace Sluice.Postgres.Tests.Ingest;

/// <summary>Retention: old events are dropped per source, in chunks, read or not, and the unread ones are counted.</summary>
public sealed class IngestRetentionTests
{
    private static readonly TimeSpan Week = TimeSpan.FromDays(7);

    [Fact]
    public async Task Prune_drops_only_the_sources_events_older_than_its_retention_and_counts_the_unread()
    {
        await using var db = await CreateAsync(nameof(Prune_drops_only_the_sources_events_older_than_its_retention_and_counts_the_unread));
        var time = new FakeTimeProvider();
        var now = time.GetUtcNow();
        await using var queue = db.Queue(new IngestQueueOptions { PruneChunk = 3 }, time);
        var old = now - Week - TimeSpan.FromMinutes(1);
        await queue.EnqueueAsync([.. Enumerable.Range(1, 10).Select(n => Event("web", n, old)), .. Enumerable.Range(11, 4).Select(n => Event("app", n, old))], default);
        await queue.EnqueueAsync([.. Enumerable.Range(21, 5).Select(n => Event("web", n, now - Week + TimeSpan.FromMinutes(1)))], default);

        // The sync read the first four old events; a second reader never ran.
        var read = await db.ReadAsync("web", null, 15);
        await SaveCheckpointAsync(db, "web_to_warehouse", read[3].Position.ToCheckpoint());

        var result = await queue.PruneAsync(new IngestRetention("web", Week, ["web_to_warehouse"]), default);

        Assert.Equal(new IngestPruneResult("web", 10, 6), result);
        Assert.Equal(5, await db.CountAsync("source = 'web'"));
        Assert.Equal(0, await db.CountAsync($"source = 'web' AND received_at < '{(now - Week).UtcDateTime:O}'"));
        Assert.Equal(4, await db.CountAsync("source = 'app'"));

        var unreadByNobody = await queue.PruneAsync(new IngestRetention("app", Week, ["app_to_warehouse"]), default);
        Assert.Equal(new IngestPruneResult("app", 4, 4), unreadByNobody);
        Assert.Equal(new IngestPruneResult("web", 0, 0), await queue.PruneAsync(new IngestRetention("web", Week, []), default));
    }

    [Fact]
    public async Task The_queue_applies_retention_at_start_and_then_every_interval_and_reports_it()
    {
        await using var db = await CreateAsync(nameof(The_queue_applies_retention_at_start_and_then_every_interval_and_reports_it));
        var time = new FakeTimeProvider();
        await using (var filler = db.Queue())
        {
            await filler.EnqueueAsync([Event("web", 1, time.GetUtcNow() - TimeSpan.FromDays(2)), Event("web", 2, time.GetUtcNow() - TimeSpan.FromHours(12))], default);
        }

        var log = new List<string>();
        var options = new IngestQueueOptions
        {
            Retention = [new IngestRetention("web", TimeSpan.FromDays(1), ["web_to_warehouse"])],
            PruneInterval = TimeSpan.FromDays(1),
            Log = line =>
            {
                lock (log)
                {
                    log.Add(line);
                }
            },
        };
        await using var queue = db.Queue(options, time);

        await time.WaitForTimersAsync(1); // the first pass is done; the next is a day away
        Assert.Equal(1, await db.CountAsync());
        Assert.Contains("dropped 1 events older than", Assert.Single(Lines()), StringComparison.Ordinal);
        Assert.Contains("had not been read by sync(s) web_to_warehouse", Lines()[0], StringComparison.Ordinal);

        // A day later the second event is old too, and the next pass drops it.
        time.AdvanceToNextTimer();
        await time.WaitForTimersAsync(1);
        Assert.Equal(0, await db.CountAsync());
        Assert.Equal(2, Lines().Count);

        List<string> Lines()
        {
            lock (log)
            {
                return [.. log];
            }
        }
    }

    private static async Task SaveCheckpointAsync(IngestTestDatabase db, string sync, Core.Checkpoints.Checkpoint checkpoint)
    {
        await using var command = db.DataSource.CreateCommand(
            $"""
            WITH s AS (INSERT INTO {Schema}.syncs (name) VALUES ($1) RETURNING id)
            INSERT INTO {Schema}.checkpoints (sync_id, format, version, value, generation) SELECT id, $2, $3, $4, 1 FROM s
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = sync });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = checkpoint.Format });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = checkpoint.Version });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = checkpoint.Value });
        await command.ExecuteNonQueryAsync();
    }
}
