using System.Text;
using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Errors;
using Sluice.State.Ingest;
using Sluice.Testing;
using static Sluice.Postgres.Tests.Ingest.IngestTestDatabase;

namespace Sluice.Postgres.Tests.Ingest;

/// <summary>The ingest queue's write side: durable before it returns, commits shared by concurrent callers, bounded.</summary>
public sealed class IngestQueueTests
{
    [Fact]
    public async Task Events_are_committed_by_the_time_EnqueueAsync_returns()
    {
        await using var db = await CreateAsync(nameof(Events_are_committed_by_the_time_EnqueueAsync_returns));
        await using var queue = db.Queue();
        var receivedAt = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.FromHours(2));
        var envelope = new IngestEvent("web", Id(7), IngestEventKind.Envelope, "order_placed", null, receivedAt, Encoding.UTF8.GetBytes("""{"eventType":"order_placed","é":1}"""));

        await queue.EnqueueAsync([Event("web", 1), Event("web", 2), envelope], default);

        // Another process's view: a connection of its own, opened after the call returned.
        await using var other = NpgsqlDataSource.Create(db.ConnectionString);
        await using var command = other.CreateCommand($"SELECT event_id, source, kind, type, event, received_at, convert_from(payload, 'UTF8') FROM {Schema}.ingest_queue ORDER BY position");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            rows.Add(Enumerable.Range(0, 7).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i)).ToArray());
        }

        Assert.Equal([Id(1), Id(2), Id(7)], rows.Select(r => (Guid)r[0]!));
        Assert.Equal(["web", IngestEventKind.Envelope, "order_placed", null, receivedAt.UtcDateTime, """{"eventType":"order_placed","é":1}"""], rows[2][1..]);
        Assert.Equal("Event 1", rows[0][4]);
        Assert.Equal(1, queue.Transactions);
        Assert.Equal(3, queue.EventsCommitted);
    }

    [Fact]
    public async Task Commits_wait_for_the_WAL_flush_even_where_synchronous_commit_is_off()
    {
        await using var db = await CreateAsync(nameof(Commits_wait_for_the_WAL_flush_even_where_synchronous_commit_is_off));
        // A deferred trigger runs at COMMIT, just before the commit record is written: it sees the setting COMMIT obeys.
        await using (var setup = db.DataSource.CreateCommand(
            $$"""
            DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', current_database()); END $$;
            CREATE TABLE commit_settings (synchronous_commit text);
            CREATE FUNCTION record_commit_setting() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO commit_settings VALUES (current_setting('synchronous_commit')); RETURN NULL; END $$;
            CREATE CONSTRAINT TRIGGER record_commit_setting AFTER INSERT ON {{Schema}}.ingest_queue
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_commit_setting();
            """))
        {
            await setup.ExecuteNonQueryAsync();
        }

        // A new data source: its sessions start with the database's setting, off.
        await using var dataSource = NpgsqlDataSource.Create(db.ConnectionString);
        await using var queue = new IngestQueue(dataSource, Schema);
        await queue.EnqueueAsync([Event("web", 1)], default);

        await using var command = dataSource.CreateCommand("SELECT synchronous_commit FROM commit_settings");
        Assert.Equal("on", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Concurrent_callers_share_transactions()
    {
        await using var db = await CreateAsync(nameof(Concurrent_callers_share_transactions));
        await using var queue = db.Queue(new IngestQueueOptions { Writers = 1 });

        // The writer is held in its first transaction, as by a slow disk, while 200 callers arrive.
        var (first, enqueued) = await WithWriterHeldAsync(db, queue, () => Enumerable.Range(2, 200).Select(n => queue.EnqueueAsync([Event("web", n)], default)).ToList());
        await first;
        await Task.WhenAll(enqueued);

        Assert.Equal(201, await db.CountAsync());
        Assert.Equal(201, queue.EventsCommitted);
        // One transaction per request would be 201: the first caller's, then one for everyone who waited.
        Assert.Equal(2, queue.Transactions);
    }

    [Fact]
    public async Task With_two_writers_the_requests_that_arrive_during_one_COPY_all_share_the_next_transaction()
    {
        await using var db = await CreateAsync(nameof(With_two_writers_the_requests_that_arrive_during_one_COPY_all_share_the_next_transaction));
        await using var queue = db.Queue(new IngestQueueOptions { Writers = 2 });

        // The first writer is held in its COPY, as by a slow server, while 200 callers arrive: the second writer waits
        // for its turn instead of taking some of them into a transaction of its own.
        var (first, enqueued) = await WithWriterHeldAsync(db, queue, () => Enumerable.Range(2, 200).Select(n => queue.EnqueueAsync([Event("web", n)], default)).ToList());
        await first;
        await Task.WhenAll(enqueued);

        Assert.Equal(201, await db.CountAsync());
        await using var command = db.DataSource.CreateCommand($"SELECT count(*) FROM {Schema}.ingest_queue GROUP BY xid ORDER BY min(position)");
        await using var reader = await command.ExecuteReaderAsync();
        var sizes = new List<long>();
        while (await reader.ReadAsync())
        {
            sizes.Add(reader.GetInt64(0));
        }

        Assert.Equal([1, 200], sizes);
        Assert.Equal(2, queue.Transactions);
    }

    [Fact]
    public async Task While_a_commit_is_in_flight_the_next_transaction_waits_for_it_and_takes_every_request_that_arrived()
    {
        await using var db = await CreateAsync(nameof(While_a_commit_is_in_flight_the_next_transaction_waits_for_it_and_takes_every_request_that_arrived));
        // A deferred trigger runs at COMMIT: it holds each commit until the test lets advisory lock 7 go, as a slow WAL flush would.
        await using (var setup = db.DataSource.CreateCommand(
            $$"""
            CREATE FUNCTION hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock_shared(7); RETURN NULL; END $$;
            CREATE CONSTRAINT TRIGGER hold_commit AFTER INSERT ON {{Schema}}.ingest_queue DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hold_commit();
            """))
        {
            await setup.ExecuteNonQueryAsync();
        }

        await using var queue = db.Queue(new IngestQueueOptions { Writers = 2 });
        await using var holder = await db.DataSource.OpenConnectionAsync();
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_lock(7)", holder))
        {
            await hold.ExecuteNonQueryAsync();
        }

        var first = queue.EnqueueAsync([Event("web", 1)], default);
        await Eventually.HoldsAsync(async () =>
        {
            await using var waiting = db.DataSource.CreateCommand("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
            return (long)(await waiting.ExecuteScalarAsync())! == 1;
        }, "the first transaction's COMMIT waits");

        // The other writer is free, and requests arrive one by one; it waits for the commit in flight instead of
        // copying the first of them at once.
        var enqueued = new List<Task>();
        for (var n = 2; n <= 101; n++)
        {
            enqueued.Add(queue.EnqueueAsync([Event("web", n)], default));
            await Task.Yield();
        }

        await using (var release = new NpgsqlCommand("SELECT pg_advisory_unlock(7)", holder))
        {
            await release.ExecuteNonQueryAsync();
        }

        await first;
        await Task.WhenAll(enqueued);
        Assert.Equal(101, await db.CountAsync());
        Assert.Equal(2, queue.Transactions);
    }

    [Fact]
    public async Task A_writer_whose_session_was_ended_between_commits_fails_one_commit_and_the_next_starts_on_a_fresh_one()
    {
        await using var db = await CreateAsync(nameof(A_writer_whose_session_was_ended_between_commits_fails_one_commit_and_the_next_starts_on_a_fresh_one));
        await using var queue = db.Queue(new IngestQueueOptions { Writers = 1 });
        await queue.EnqueueAsync([Event("web", 1)], default);

        // The writer keeps its session between commits; ended from outside (a restart, an administrator), the next
        // commit fails as transient — its caller may resend — and the one after it commits on a new session.
        await using (var kill = db.DataSource.CreateCommand(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"))
        {
            Assert.True((long)(await kill.ExecuteScalarAsync())! >= 1, "no session of the writer to end");
        }

        var failed = await Assert.ThrowsAsync<SluiceException>(() => queue.EnqueueAsync([Event("web", 2)], default));
        Assert.True(failed.IsRetryable, failed.ToString());

        await queue.EnqueueAsync([Event("web", 3)], default).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, await db.CountAsync());
    }

    [Fact]
    public async Task A_caller_slow_to_take_its_answer_holds_up_neither_the_writer_nor_the_callers_of_other_commits()
    {
        await using var db = await CreateAsync(nameof(A_caller_slow_to_take_its_answer_holds_up_neither_the_writer_nor_the_callers_of_other_commits));
        await using var queue = db.Queue(new IngestQueueOptions { Writers = 1 });
        using var release = new ManualResetEventSlim();

        // The first caller's continuation blocks its thread (as a slow answer write would) until the second caller is answered.
        var first = queue.EnqueueAsync([Event("web", 1)], default).ContinueWith(_ => release.Wait(TimeSpan.FromSeconds(60)), TaskContinuationOptions.ExecuteSynchronously);
        await Eventually.HoldsAsync(() => queue.Transactions == 1, "the first request committed");

        // The one writer commits the next request, and its caller is answered, while the first caller's thread is still held.
        await queue.EnqueueAsync([Event("web", 2)], default).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(first.IsCompleted);
        release.Set();
        Assert.True(await first);
        Assert.Equal(2, await db.CountAsync());
    }

    [Fact]
    public async Task A_batch_is_cut_at_the_event_limit_and_a_request_is_never_split()
    {
        await using var db = await CreateAsync(nameof(A_batch_is_cut_at_the_event_limit_and_a_request_is_never_split));
        await using var queue = db.Queue(new IngestQueueOptions { Writers = 1, MaxBatchEvents = 10 });

        var (first, enqueued) = await WithWriterHeldAsync(db, queue, () => new[]
        {
            // 1 + 2 + 6 fit in a batch of 10, 6 more do not; 12 exceed any batch and commit alone.
            queue.EnqueueAsync(Events("web", 2, 1), default),
            queue.EnqueueAsync(Events("web", 3, 2), default),
            queue.EnqueueAsync(Events("web", 5, 6), default),
            queue.EnqueueAsync(Events("web", 11, 6), default),
            queue.EnqueueAsync(Events("web", 17, 12), default),
        });
        await first;
        await Task.WhenAll(enqueued);

        await using var command = db.DataSource.CreateCommand($"SELECT count(*) FROM {Schema}.ingest_queue GROUP BY xid ORDER BY min(position)");
        await using var reader = await command.ExecuteReaderAsync();
        var sizes = new List<long>();
        while (await reader.ReadAsync())
        {
            sizes.Add(reader.GetInt64(0));
        }

        Assert.Equal([1, 9, 6, 12], sizes);
        Assert.Equal(4, queue.Transactions);
    }

    [Fact]
    public async Task A_request_the_database_refuses_fails_only_its_own_caller()
    {
        await using var db = await CreateAsync(nameof(A_request_the_database_refuses_fails_only_its_own_caller));
        await using (var constraint = db.DataSource.CreateCommand($"ALTER TABLE {Schema}.ingest_queue ADD CONSTRAINT no_bad CHECK (type <> 'bad')"))
        {
            await constraint.ExecuteNonQueryAsync();
        }

        await using var queue = db.Queue(new IngestQueueOptions { Writers = 1 });
        var bad = Event("web", 4) with { Type = "bad" };
        var (first, enqueued) = await WithWriterHeldAsync(db, queue, () => new[]
        {
            queue.EnqueueAsync([Event("web", 2)], default),
            queue.EnqueueAsync([Event("web", 3)], default),
            queue.EnqueueAsync([bad], default),
            queue.EnqueueAsync([Event("web", 5)], default),
        });

        await first;
        await enqueued[0];
        await enqueued[1];
        var error = await Assert.ThrowsAsync<SluiceException>(() => enqueued[2]);
        Assert.Contains("no_bad", error.Message, StringComparison.Ordinal);
        await enqueued[3];
        Assert.Equal(4, await db.CountAsync());
        Assert.Equal(0, await db.CountAsync("type = 'bad'"));
    }

    [Fact]
    public async Task An_event_with_a_NUL_character_is_refused_before_it_can_fail_anyone_else()
    {
        await using var db = await CreateAsync(nameof(An_event_with_a_NUL_character_is_refused_before_it_can_fail_anyone_else));
        await using var queue = db.Queue();

        var error = await Assert.ThrowsAsync<SluiceException>(() => queue.EnqueueAsync([Event("web", 1) with { Payload = "{\"a\":\"\0\"}"u8.ToArray() }], default));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Equal(0, await db.CountAsync());
    }

    [Fact]
    public async Task An_event_whose_name_is_not_valid_text_is_refused_before_it_can_fail_anyone_else()
    {
        await using var db = await CreateAsync(nameof(An_event_whose_name_is_not_valid_text_is_refused_before_it_can_fail_anyone_else));
        await using var queue = db.Queue();

        // A lone surrogate has no UTF-8 form: the queue cannot store it, whichever commit it would share.
        var error = await Assert.ThrowsAsync<SluiceException>(() => queue.EnqueueAsync([Event("web", 1), Event("web", 2) with { Event = "Order \uD800" }], default));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Equal(0, await db.CountAsync());
    }

    [Fact]
    public async Task Rows_are_stored_exactly_as_the_drivers_binary_importer_stores_them()
    {
        await using var db = await CreateAsync(nameof(Rows_are_stored_exactly_as_the_drivers_binary_importer_stores_them));
        await using var queue = db.Queue();
        var large = new byte[40_000];
        large.AsSpan().Fill((byte)'x');
        "{\"p\":\""u8.CopyTo(large);
        "\"}"u8.CopyTo(large.AsSpan(large.Length - 2));
        var shared = Encoding.UTF8.GetBytes("""[{"a":1},{"b":"ü 源 🎉"}]""");
        var at = new DateTimeOffset(2026, 12, 7, 9, 30, 15, TimeSpan.FromHours(2)).AddTicks(1_234_567);
        IngestEvent[] events =
        [
            Event("web", 1),
            new("wëb-源", Id(2), IngestEventKind.Envelope, "facture.payée", null, at, shared.AsMemory(1, 8)) { TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
            new("web", Id(3), IngestEventKind.Segment, "track", "🎉 Order Completed", at.AddTicks(9), shared.AsMemory(10, shared.Length - 11)),
            new("web", Id(4), IngestEventKind.Segment, "identify", null, new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(5), large),
            new("web", Id(5), IngestEventKind.Segment, "page", "", at, ReadOnlyMemory<byte>.Empty),
            .. Events("web", 6, 300),
        ];

        await queue.EnqueueAsync(events, default);

        // What Npgsql's own importer writes for the same events (the queue's way before it encoded rows itself).
        await using (var twin = db.DataSource.CreateCommand($"CREATE TABLE imported AS SELECT source, event_id, kind, type, event, received_at, payload, trace_parent FROM {Schema}.ingest_queue WITH NO DATA"))
        {
            await twin.ExecuteNonQueryAsync();
        }

        await using (var connection = await db.DataSource.OpenConnectionAsync())
        await using (var importer = await connection.BeginBinaryImportAsync("COPY imported FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var e in events)
            {
                await importer.StartRowAsync();
                await importer.WriteAsync(e.Source, NpgsqlDbType.Text);
                await importer.WriteAsync(e.EventId, NpgsqlDbType.Uuid);
                await importer.WriteAsync(e.Kind, NpgsqlDbType.Text);
                await importer.WriteAsync(e.Type, NpgsqlDbType.Text);
                await importer.WriteAsync(e.Event, NpgsqlDbType.Text);
                await importer.WriteAsync(e.ReceivedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
                await importer.WriteAsync(e.Payload, NpgsqlDbType.Bytea);
                await importer.WriteAsync(e.TraceParent, NpgsqlDbType.Text);
            }

            await importer.CompleteAsync();
        }

        const string Columns = "source, event_id, kind, type, event, received_at, payload, trace_parent";
        await using var compare = db.DataSource.CreateCommand(
            $"""
            SELECT (SELECT count(*) FROM (SELECT {Columns} FROM {Schema}.ingest_queue EXCEPT ALL SELECT {Columns} FROM imported) q)
                 + (SELECT count(*) FROM (SELECT {Columns} FROM imported EXCEPT ALL SELECT {Columns} FROM {Schema}.ingest_queue) i),
                   (SELECT count(*) FROM imported)
            """);
        await using var reader = await compare.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((0L, (long)events.Length), (reader.GetInt64(0), reader.GetInt64(1)));
    }

    [Fact]
    public async Task A_caller_finding_the_queue_full_waits_then_is_told_it_is_busy()
    {
        await using var db = await CreateAsync(nameof(A_caller_finding_the_queue_full_waits_then_is_told_it_is_busy));
        var time = new TimerAwareFakeTimeProvider();
        await using var queue = db.Queue(new IngestQueueOptions { Writers = 1, MaxWaitingRequests = 1, BusyTimeout = TimeSpan.FromSeconds(5) }, time);

        var (first, second) = await WithWriterHeldAsync(db, queue, async () =>
        {
            var second = queue.EnqueueAsync([Event("web", 2)], default); // waits in the queue's one slot
            var third = queue.EnqueueAsync([Event("web", 3)], default); // finds no room
            await time.WaitForTimersAsync(1);
            time.Advance(TimeSpan.FromSeconds(5));
            var busy = await Assert.ThrowsAsync<SluiceException>(() => third);
            Assert.True(busy.IsRetryable);
            Assert.Contains("busy", busy.Message, StringComparison.Ordinal);
            return second;
        });

        await first;
        await second;
        Assert.Equal(2, await db.CountAsync());
    }

    [Fact]
    public async Task Disposing_commits_what_is_waiting_then_refuses_new_events()
    {
        await using var db = await CreateAsync(nameof(Disposing_commits_what_is_waiting_then_refuses_new_events));
        var queue = db.Queue(new IngestQueueOptions { Writers = 1 });
        var disposing = Task.CompletedTask;
        var (first, enqueued) = await WithWriterHeldAsync(db, queue, () =>
        {
            var waiting = Enumerable.Range(2, 20).Select(n => queue.EnqueueAsync([Event("web", n)], default)).ToList();
            disposing = queue.DisposeAsync().AsTask();
            return waiting;
        });

        await disposing;
        await first;
        await Task.WhenAll(enqueued);
        Assert.Equal(21, await db.CountAsync());
        var refused = await Assert.ThrowsAsync<SluiceException>(() => queue.EnqueueAsync([Event("web", 30)], default));
        Assert.True(refused.IsRetryable);
    }

    /// <summary>
    /// Holds the queue's writer inside the transaction of a first event (another transaction locks out every COPY
    /// into the queue, as a slow disk would) while <paramref name="arrive"/> runs, then lets it go on.
    /// </summary>
    private static async Task<(Task First, T Arrived)> WithWriterHeldAsync<T>(IngestTestDatabase db, IngestQueue queue, Func<T> arrive) =>
        await WithWriterHeldAsync(db, queue, () => Task.FromResult(arrive()));

    private static async Task<(Task First, T Arrived)> WithWriterHeldAsync<T>(IngestTestDatabase db, IngestQueue queue, Func<Task<T>> arrive)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand($"LOCK TABLE {Schema}.ingest_queue IN SHARE MODE", connection, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        var first = queue.EnqueueAsync([Event("web", 1)], default);
        while (queue.WaitingRequests > 0)
        {
            await Task.Delay(1); // until the writer has taken it into a transaction of its own
        }

        var arrived = await arrive();
        await transaction.RollbackAsync();
        return (first, arrived);
    }
}
