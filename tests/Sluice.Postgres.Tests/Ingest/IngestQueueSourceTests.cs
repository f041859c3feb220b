using Npgsql;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.State.Ingest;
using Sluice.Testing;
using static Sluice.Postgres.Tests.Ingest.IngestTestDatabase;

namespace Sluice.Postgres.Tests.Ingest;

/// <summary>The ingest queue's read side: one source's events in commit-safe order, from a checkpoint, for ever.</summary>
public sealed class IngestQueueSourceTests
{
    [Fact]
    public async Task Reads_its_own_source_in_order_across_pages_and_resumes_from_a_checkpoint()
    {
        await using var db = await CreateAsync(nameof(Reads_its_own_source_in_order_across_pages_and_resumes_from_a_checkpoint));
        await using (var queue = db.Queue())
        {
            for (var n = 1; n <= 30; n += 5)
            {
                await queue.EnqueueAsync([.. Events("web", n, 5), .. Events("app", 100 + n, 2)], default);
            }
        }

        var all = await db.ReadAsync("web", null, 30, pageSize: 7);
        Assert.Equal(Enumerable.Range(1, 30).Select(n => Id(n).ToString()), all.Select(c => c.Key));

        var resumed = await db.ReadAsync("web", all[11].Position.ToCheckpoint(), 18, pageSize: 7);
        Assert.Equal(all.Skip(12).Select(c => c.Key), resumed.Select(c => c.Key));

        var app = await db.ReadAsync("app", null, 12);
        Assert.Equal(12, app.Count);
        Assert.All(app, c => Assert.Equal("app", c.Values[1]));
    }

    [Fact]
    public async Task A_change_carries_the_event_as_the_contract_says()
    {
        await using var db = await CreateAsync(nameof(A_change_carries_the_event_as_the_contract_says));
        var receivedAt = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
        await using (var queue = db.Queue())
        {
            await queue.EnqueueAsync([Event("web", 1, receivedAt), Event("web", 2, receivedAt) with { Kind = IngestEventKind.Envelope, Event = null }], default);
        }

        var changes = await db.ReadAsync("web", null, 2);
        var first = changes[0];
        Assert.Equal(Id(1).ToString(), first.Key);
        Assert.Equal(ChangeOperation.Upsert, first.Operation);
        Assert.Equal(
            [Id(1), "web", IngestEventKind.Segment, "track", "Event 1", receivedAt.UtcDateTime, $$"""{"type":"track","event":"Event 1","messageId":"{{Id(1)}}"}"""],
            first.Values);
        Assert.Equal(DateTimeKind.Utc, ((DateTime)first.Values[5]!).Kind);
        Assert.Null(changes[1].Values[4]);

        // The version is the queue position, which the checkpoint carries after the transaction id.
        var checkpoint = first.Position.ToCheckpoint();
        Assert.Equal("ingest-queue", checkpoint.Format);
        Assert.Equal(1, checkpoint.Version);
        Assert.EndsWith(":" + first.Version, checkpoint.Value, StringComparison.Ordinal);
        Assert.NotEqual(first.Version, changes[1].Version);

        // Only the columns asked for, in the order asked.
        var some = await db.ReadAsync("web", null, 2, ["payload", "event_id"]);
        Assert.Equal([first.Values[6], Id(1)], some[0].Values);
    }

    [Fact]
    public async Task A_writer_that_commits_late_is_not_skipped()
    {
        await using var db = await CreateAsync(nameof(A_writer_that_commits_late_is_not_skipped));
        await InsertAsync(db.DataSource, 1);

        // A takes its transaction id and its position first, then B does and commits; A commits last.
        await using var a = await db.DataSource.OpenConnectionAsync();
        await using var late = await a.BeginTransactionAsync();
        await InsertAsync(a, 2);
        await using (var b = await db.DataSource.OpenConnectionAsync())
        {
            await InsertAsync(b, 3);
        }

        // While A runs, B's event (after A in transaction order) must wait: reading it would move the checkpoint past A's.
        var whileRunning = await db.ReadAsync("web", null, 1);
        Assert.Equal([Id(1).ToString()], whileRunning.Select(c => c.Key));

        await late.CommitAsync();
        var afterCommit = await db.ReadAsync("web", whileRunning[^1].Position.ToCheckpoint(), 2);
        Assert.Equal([Id(2).ToString(), Id(3).ToString()], afterCommit.Select(c => c.Key));
        // A's event has the smaller position though it became visible last: a position-only reader would have lost it.
        Assert.True(long.Parse(afterCommit[0].Version!) < long.Parse(afterCommit[1].Version!));
    }

    [Fact]
    public async Task Streams_new_events_as_they_arrive_until_cancelled()
    {
        await using var db = await CreateAsync(nameof(Streams_new_events_as_they_arrive_until_cancelled));
        await using var queue = db.Queue();
        await queue.EnqueueAsync(Events("web", 1, 3), default);
        var time = new TimerAwareFakeTimeProvider();
        await using var source = db.Source("web", time);
        var follower = Follow(source, time, null);

        await follower.WaitForAsync(3);
        await queue.EnqueueAsync(Events("web", 4, 2), default);
        await follower.WaitForAsync(5);
        Assert.Equal(Enumerable.Range(1, 5).Select(n => Id(n).ToString()), follower.Seen.Select(c => c.Key));

        // Nothing new: it polls again and keeps going, until it is cancelled.
        await follower.PollAsync();
        Assert.False(follower.Reading.IsCompleted);
        await follower.DisposeAsync();
        Assert.True(follower.Reading.IsCanceled || follower.Reading.IsFaulted);
        Assert.Equal(5, follower.Seen.Count);
    }

    [Fact]
    public async Task A_commit_wakes_a_reader_that_has_caught_up_before_its_next_poll()
    {
        await using var db = await CreateAsync(nameof(A_commit_wakes_a_reader_that_has_caught_up_before_its_next_poll));
        await using var queue = db.Queue();
        var time = new TimerAwareFakeTimeProvider();
        await using var source = new IngestQueueSource(db.DataSource, Schema, "web", new IngestQueueSourceOptions { PollInterval = TimeSpan.FromHours(1) }, time);
        await using var follower = Follow(source, time, null);
        await follower.CaughtUpAsync();
        await WaitUntilAsync(async () =>
        {
            // The reader's listening connection is up once its LISTEN has run; a commit before that would go unheard.
            await using var command = db.DataSource.CreateCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %sluice_ingest_sluice%'");
            return (long)(await command.ExecuteScalarAsync())! == 1;
        });

        // The clock never moves: only a commit's notification can wake the reader within the hour it sleeps. A wake-up
        // may find the event still behind another test's open transaction (the horizon is the cluster's); the next
        // commit's notification wakes it again.
        var sent = 0;
        while (follower.Seen.Count == 0)
        {
            Assert.True(sent < 100, "no commit woke the reader");
            await queue.EnqueueAsync([Event("web", ++sent)], default);
            for (var attempt = 0; attempt < 20 && follower.Seen.Count == 0; attempt++)
            {
                await Task.Delay(10);
            }
        }

        Assert.Equal(TimerAwareFakeTimeProvider.DefaultStart, time.GetUtcNow());
        Assert.Equal(Enumerable.Range(1, follower.Seen.Count).Select(n => Id(n).ToString()), follower.Seen.Select(c => c.Key));
    }

    [Fact]
    public async Task Estimate_counts_the_events_after_the_checkpoint_and_discover_gives_the_fixed_schema()
    {
        await using var db = await CreateAsync(nameof(Estimate_counts_the_events_after_the_checkpoint_and_discover_gives_the_fixed_schema));
        await using (var queue = db.Queue())
        {
            await queue.EnqueueAsync([.. Events("web", 1, 10), .. Events("app", 20, 4)], default);
        }

        var changes = await db.ReadAsync("web", null, 10);
        await using var source = db.Source("web", TimeProvider.System);
        Assert.Equal(10, await source.EstimateAsync(new ReadRequest(AllColumns, null), default));
        Assert.Equal(6, await source.EstimateAsync(new ReadRequest(AllColumns, changes[3].Position.ToCheckpoint()), default));

        var schema = await source.DiscoverAsync(default);
        Assert.Equal("ingest source 'web'", schema.ObjectName);
        Assert.Equal(["event_id"], schema.KeyColumns);
        Assert.Equal(
            [("event_id", ColumnType.Uuid), ("source", ColumnType.Text), ("kind", ColumnType.Text), ("type", ColumnType.Text),
             ("event", ColumnType.Text), ("received_at", ColumnType.TimestampWithTimeZone), ("payload", ColumnType.Json)],
            schema.Columns.Select(c => (c.Name, c.Type)));
        Assert.True(source.Streams);
    }

    [Fact]
    public async Task Check_fails_plainly_when_the_state_store_has_no_queue()
    {
        await using var db = await CreateAsync(nameof(Check_fails_plainly_when_the_state_store_has_no_queue));
        await using var migrated = db.Source("web", TimeProvider.System);
        await migrated.CheckAsync(default);

        await using var empty = await TestPostgres.CreateDataSourceAsync(nameof(Check_fails_plainly_when_the_state_store_has_no_queue) + "_empty");
        await using var unmigrated = new IngestQueueSource(empty, Schema, "web");
        var error = await Assert.ThrowsAsync<SluiceException>(() => unmigrated.CheckAsync(default));
        Assert.Contains("no ingest queue", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Advises_about_a_write_transaction_that_holds_back_the_readers()
    {
        await using var db = await CreateAsync(nameof(Advises_about_a_write_transaction_that_holds_back_the_readers));
        await using var source = new IngestQueueSource(db.DataSource, Schema, "web", new IngestQueueSourceOptions { StalledAfter = TimeSpan.Zero });
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var open = await connection.BeginTransactionAsync();
        await InsertAsync(connection, 1);

        var advice = Assert.Single(await source.AdviseAsync(default));
        Assert.Contains("has been open for", advice, StringComparison.Ordinal);
        Assert.Contains("ingest source 'web' reads only behind the oldest write transaction", advice, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkpoint_of_another_source_is_refused()
    {
        await using var db = await CreateAsync(nameof(A_checkpoint_of_another_source_is_refused));
        await using var source = db.Source("web", TimeProvider.System);
        var request = new ReadRequest(AllColumns, new Core.Checkpoints.Checkpoint("pg-table", 1, "{}"));

        var error = await Assert.ThrowsAsync<SluiceException>(async () =>
        {
            await foreach (var _ in source.ReadAsync(request, default))
            {
            }
        });
        Assert.Contains("--full", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_is_read_in_index_order_where_the_statistics_would_pick_a_bitmap_scan_of_the_whole_backlog()
    {
        const int Backlog = 10_000;
        await using var db = await CreateAsync(nameof(A_page_is_read_in_index_order_where_the_statistics_would_pick_a_bitmap_scan_of_the_whole_backlog));
        await ExecuteAsync(db.DataSource, $"ALTER TABLE {Schema}.ingest_queue SET (autovacuum_enabled = false)"); // never analysed
        await using (var queue = db.Queue())
        {
            for (var n = 1; n <= Backlog; n += 500)
            {
                await queue.EnqueueAsync(Events("web", n, 500), default);
            }
        }

        // Without the reader's setting, PostgreSQL plans this page as a bitmap scan (and a sort) of every unread row.
        await using (var explain = db.DataSource.CreateCommand(
            $"""
            EXPLAIN SELECT xid, position, event_id, trace_parent, payload FROM {Schema}.ingest_queue
            WHERE source = $1 AND (xid, position) > ($2, $3) AND xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY xid, position LIMIT 100
            """))
        {
            explain.Parameters.Add(new NpgsqlParameter { Value = "web" });
            explain.Parameters.Add(new NpgsqlParameter { Value = 0UL, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Xid8 });
            explain.Parameters.Add(new NpgsqlParameter { Value = 0L });
            var plan = new List<string>();
            await using var rows = await explain.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                plan.Add(rows.GetString(0));
            }

            Assert.True(plan.Any(l => l.Contains("Bitmap", StringComparison.Ordinal)), "the planner would read in index order anyway: the test proves nothing\n" + string.Join("\n", plan));
        }

        // At least one page; the reader may have gone on to the next ones before it stopped.
        var read = await db.ReadAsync("web", null, 100, pageSize: 100);
        Assert.Equal(Enumerable.Range(1, read.Count).Select(n => Id(n).ToString()), read.Select(c => c.Key));

        // A session reports what its scans read when it ends: close the pool's sessions and wait for their reports.
        db.DataSource.Clear();
        long scans = 0, entries = 0;
        await WaitUntilAsync(async () =>
        {
            await using var stats = db.DataSource.CreateCommand("SELECT idx_scan, idx_tup_read FROM pg_stat_all_indexes WHERE indexrelname = 'ingest_queue_by_source'");
            await using var reader = await stats.ExecuteReaderAsync();
            await reader.ReadAsync();
            (scans, entries) = (reader.GetInt64(0), reader.GetInt64(1));
            return scans > 0;
        });

        // Each page read about as many index entries as it returned, not the whole backlog.
        Assert.True(entries <= read.Count + scans, $"{scans} scans read {entries} index entries for {read.Count} events in pages of 100 from a backlog of {Backlog}");
    }

    /// <summary>Polls <paramref name="condition"/> in real time; fails (rather than hangs) when it never holds.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var attempt = 0; !await condition(); attempt++)
        {
            Assert.True(attempt < 1_000, "the condition never held");
            await Task.Delay(10);
        }
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task InsertAsync(NpgsqlDataSource dataSource, int n)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await InsertAsync(connection, n);
    }

    private static async Task InsertAsync(NpgsqlConnection connection, int n)
    {
        await using var command = new NpgsqlCommand(
            $"INSERT INTO {Schema}.ingest_queue (source, event_id, kind, type, received_at, payload) VALUES ('web', $1, 'segment', 'track', now(), '{{}}')", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Id(n) });
        await command.ExecuteNonQueryAsync();
    }
}
