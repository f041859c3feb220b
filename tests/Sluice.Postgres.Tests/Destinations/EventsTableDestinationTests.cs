using System.Text;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Postgres.Destinations;
using Sluice.Testing;
using static Sluice.Postgres.Tests.Destinations.IngestTestEvents;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Destinations;

public sealed class EventsTableDestinationTests
{
    [Fact]
    public async Task An_envelope_becomes_one_row_with_its_payload_and_metadata_as_jsonb()
    {
        await using var db = await DatabaseWithTableAsync(nameof(An_envelope_becomes_one_row_with_its_payload_and_metadata_as_jsonb));
        await using var destination = Destination(db);
        var id = Guid.NewGuid();
        var change = Envelope(id, """
            {"eventType":"invoice.paid","occurredAt":"2024-04-30T08:15:00.123456+02:00","source":"billing","customerExternalId":"cus_42",
             "idempotencyKey":"idem-1","correlationId":"corr-9","payload":{"amount":1250,"currency":"EUR","lines":[{"sku":"a"}]},
             "metadata":{"ip":"10.0.0.1","correlationId":"overridden"}}
            """);

        var results = await WriteAsync(destination, change);

        Assert.Equal([WriteResult.Acknowledged(id.ToString())], results);
        var row = await SingleRowAsync(db, "public.events", id);
        Assert.Equal("invoice.paid", row.EventType);
        Assert.Equal(new DateTime(2024, 4, 30, 6, 15, 0, DateTimeKind.Utc).AddTicks(1234560), row.OccurredAt);
        Assert.Equal("cus_42", row.Customer);
        Assert.Equal("billing", row.Source);
        Assert.Equal(ReceivedAt, row.ReceivedAt);
        Assert.True(await JsonEqualsAsync(db, row.Payload, """{"amount":1250,"currency":"EUR","lines":[{"sku":"a"}]}"""));
        // correlationId and idempotencyKey have no column: they join metadata, over same-named members.
        Assert.True(await JsonEqualsAsync(db, row.Metadata, """{"ip":"10.0.0.1","correlationId":"corr-9","idempotencyKey":"idem-1"}"""));
    }

    [Fact]
    public async Task A_segment_track_and_identify_become_rows_of_their_event_and_call_type()
    {
        await using var db = await DatabaseWithTableAsync(nameof(A_segment_track_and_identify_become_rows_of_their_event_and_call_type));
        await using var destination = Destination(db);
        var (trackId, identifyId) = (Guid.NewGuid(), Guid.NewGuid());
        var track = SegmentEvent(trackId, "track", "Order Completed", """
            {"type":"track","event":"Order Completed","messageId":"m-1","anonymousId":"anon-1","timestamp":"2024-04-30T10:00:00Z",
             "properties":{"total":99.5},"context":{"ip":"10.0.0.2","library":{"name":"analytics.js"}}}
            """);
        var identify = SegmentEvent(identifyId, "identify", null, """
            {"type":"identify","messageId":"m-2","userId":"user-7","anonymousId":"anon-1","timestamp":"2024-04-30T10:01:00Z",
             "traits":{"email":"a@example.com","plan":"pro"},"context":{"ip":"10.0.0.2"}}
            """);

        var results = await WriteAsync(destination, track, identify);

        Assert.Equal([WriteResult.Acknowledged(trackId.ToString()), WriteResult.Acknowledged(identifyId.ToString())], results);
        var t = await SingleRowAsync(db, "public.events", trackId);
        Assert.Equal(("Order Completed", "anon-1", "web"), (t.EventType, t.Customer, t.Source));
        Assert.Equal(new DateTime(2024, 4, 30, 10, 0, 0, DateTimeKind.Utc), t.OccurredAt);
        Assert.True(await JsonEqualsAsync(db, t.Payload, """{"total":99.5}"""));
        Assert.True(await JsonEqualsAsync(db, t.Metadata, """
            {"type":"track","event":"Order Completed","messageId":"m-1","anonymousId":"anon-1","timestamp":"2024-04-30T10:00:00Z",
             "context":{"ip":"10.0.0.2","library":{"name":"analytics.js"}}}
            """));
        var i = await SingleRowAsync(db, "public.events", identifyId);
        Assert.Equal(("identify", "user-7"), (i.EventType, i.Customer));
        Assert.True(await JsonEqualsAsync(db, i.Payload, """{"email":"a@example.com","plan":"pro"}"""));
        Assert.Equal("m-2", await ScalarAsync<string>(db, $"SELECT metadata->>'messageId' FROM public.events WHERE event_id = '{identifyId}'"));
    }

    [Fact]
    public async Task A_replayed_batch_inserts_nothing_new()
    {
        await using var db = await DatabaseWithTableAsync(nameof(A_replayed_batch_inserts_nothing_new));
        await using var destination = Destination(db);
        var changes = Enumerable.Range(0, 50).Select(n => Envelope(Guid.NewGuid(), $$$"""{"eventType":"e","occurredAt":"2024-04-30T08:00:00Z","payload":{"n":{{{n}}}}}""")).ToArray();

        await WriteAsync(destination, changes);
        await ExecuteAsync(db, "UPDATE public.events SET payload = '{\"touched\":true}'");
        var again = await WriteAsync(destination, changes);

        Assert.All(again, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(50, await ScalarAsync<long>(db, "SELECT count(*) FROM public.events"));
        Assert.Equal(50, await ScalarAsync<long>(db, "SELECT count(*) FROM public.events WHERE payload = '{\"touched\":true}'"));
    }

    [Fact]
    public async Task A_writer_role_with_only_insert_writes_and_replays()
    {
        await using var db = await DatabaseWithTableAsync(nameof(A_writer_role_with_only_insert_writes_and_replays));
        var role = "writer_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(db, $"""
            CREATE ROLE {role} LOGIN;
            REVOKE ALL ON SCHEMA public FROM PUBLIC;
            GRANT USAGE ON SCHEMA public TO {role};
            GRANT INSERT ON public.events TO {role};
            """);
        await using var writer = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role }.ConnectionString);
        await using var destination = Destination(writer, user: role);
        var changes = Enumerable.Range(0, 10).Select(n => Envelope(Guid.NewGuid(), $$$"""{"eventType":"e","payload":{"n":{{{n}}}}}""")).ToArray();

        await destination.CheckAsync(default);
        var first = await WriteAsync(destination, changes);
        var replay = await WriteAsync(destination, changes);

        Assert.All(first.Concat(replay), r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(10, await ScalarAsync<long>(db, "SELECT count(*) FROM public.events"));
        // The role really has INSERT only: it cannot read what it wrote.
        await using var read = writer.CreateCommand("SELECT count(*) FROM public.events");
        var denied = await Assert.ThrowsAsync<PostgresException>(() => read.ExecuteScalarAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
    }

    [Fact]
    public async Task A_missing_table_refuses_the_batch_with_the_create_table_and_replay_as_the_fix()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_missing_table_refuses_the_batch_with_the_create_table_and_replay_as_the_fix));
        await using var destination = Destination(db);
        var changes = new[] { Envelope(Guid.NewGuid(), """{"eventType":"e"}"""), Envelope(Guid.NewGuid(), """{"eventType":"f"}""") };

        var check = await Assert.ThrowsAsync<SluiceException>(() => destination.CheckAsync(default));
        var results = await WriteAsync(destination, changes);

        Assert.Contains("CREATE TABLE IF NOT EXISTS \"public\".\"events\"", check.Message, StringComparison.Ordinal);
        Assert.All(results, r =>
        {
            Assert.Equal(WriteStatus.Rejected, r.Status);
            Assert.Contains("table public.events does not exist", r.Reason, StringComparison.Ordinal);
            Assert.Contains("CREATE TABLE IF NOT EXISTS", r.Reason, StringComparison.Ordinal);
            Assert.Contains("sluice dlq replay events_sync", r.Reason, StringComparison.Ordinal);
        });

        // The fix, then the replay of the stored payloads alone (as `sluice dlq replay` does) writes them.
        await ExecuteAsync(db, EventsTableDdl.CreateTable("public", "events"));
        var replayed = await destination.WriteAsync(changes.Select(c => Stored(destination.Encode(c.ToChange(Mapping(destination)), Mapping(destination)))).ToList(), default);
        Assert.All(replayed, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(2, await ScalarAsync<long>(db, "SELECT count(*) FROM public.events"));
    }

    [Fact]
    public async Task Check_refuses_a_table_without_a_key_on_event_id_since_replays_would_duplicate()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Check_refuses_a_table_without_a_key_on_event_id_since_replays_would_duplicate));
        await ExecuteAsync(db, EventsTableDdl.CreateTable("public", "events").Replace(" PRIMARY KEY", "", StringComparison.Ordinal));
        await using var destination = Destination(db);

        var error = await Assert.ThrowsAsync<SluiceException>(() => destination.CheckAsync(default));

        Assert.Contains("ADD PRIMARY KEY (\"event_id\")", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_table_creates_a_missing_table_on_first_write()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Create_table_creates_a_missing_table_on_first_write));
        await ExecuteAsync(db, "CREATE SCHEMA landing");
        await using var destination = Destination(db, options: Options(schema: "landing", createTable: true));

        await destination.CheckAsync(default);
        var id = Guid.NewGuid();
        var results = await WriteAsync(destination, Envelope(id, """{"eventType":"e"}"""));

        Assert.Equal([WriteResult.Acknowledged(id.ToString())], results);
        Assert.Equal(1, await ScalarAsync<long>(db, "SELECT count(*) FROM landing.events"));
    }

    [Fact]
    public async Task A_row_the_table_refuses_is_refused_alone()
    {
        await using var db = await DatabaseWithTableAsync(nameof(A_row_the_table_refuses_is_refused_alone));
        await ExecuteAsync(db, "ALTER TABLE public.events ADD CONSTRAINT no_test_events CHECK (event_type <> 'test')");
        await ExecuteAsync(db, "ALTER TABLE public.events ADD CONSTRAINT no_blocked_payloads CHECK (NOT payload ? 'blocked')");
        await using var destination = Destination(db);
        var changes = Enumerable.Range(0, 9)
            .Select(n => Envelope(Guid.NewGuid(), $$"""{"eventType":"{{(n == 6 ? "test" : "real")}}"}"""))
            // A second row refused for another reason: that row alone, too. (A NUL, which jsonb cannot store, is now
            // refused before the INSERT: EventsTableHostileInputTests.)
            .Append(Envelope(Guid.NewGuid(), """{"eventType":"real","payload":{"blocked":true}}"""))
            .ToArray();

        var results = await WriteAsync(destination, changes);

        Assert.Equal([0, 1, 2, 3, 4, 5, 7, 8], Enumerable.Range(0, 10).Where(i => results[i].Status == WriteStatus.Ok));
        Assert.Contains("no_test_events", results[6].Reason, StringComparison.Ordinal);
        Assert.Equal(WriteStatus.Rejected, results[9].Status);
        Assert.Equal(8, await ScalarAsync<long>(db, "SELECT count(*) FROM public.events"));
    }

    [Fact]
    public async Task A_lock_timeout_is_transient_and_the_retry_succeeds()
    {
        await using var db = await DatabaseWithTableAsync(nameof(A_lock_timeout_is_transient_and_the_retry_succeeds));
        await using var impatient = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString) { Options = "-c lock_timeout=100" }.ConnectionString);
        await using var destination = Destination(impatient);
        var id = Guid.NewGuid();
        var change = Envelope(id, """{"eventType":"e"}""");

        await using (var holder = await db.OpenConnectionAsync())
        await using (var transaction = await holder.BeginTransactionAsync())
        {
            await using var lockTable = new NpgsqlCommand("LOCK TABLE public.events IN ACCESS EXCLUSIVE MODE", holder, transaction);
            await lockTable.ExecuteNonQueryAsync();
            var error = await Assert.ThrowsAsync<SluiceException>(() => WriteAsync(destination, change));
            Assert.True(error.IsRetryable, error.Message);
        }

        Assert.Equal([WriteResult.Acknowledged(id.ToString())], await WriteAsync(destination, change));
    }

    [Fact]
    public async Task A_connection_killed_mid_insert_is_transient()
    {
        await using var db = await DatabaseWithTableAsync(nameof(A_connection_killed_mid_insert_is_transient));
        var application = "killed_" + Guid.NewGuid().ToString("N")[..8];
        await using var victim = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString) { ApplicationName = application }.ConnectionString);
        await using var destination = Destination(victim);

        await using var holder = await db.OpenConnectionAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE public.events IN ACCESS EXCLUSIVE MODE", holder, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        var write = WriteAsync(destination, Envelope(Guid.NewGuid(), """{"eventType":"e"}"""));
        // Once the INSERT waits on the lock, end its backend as an administrator (or a failover) would.
        while (await ScalarAsync<int>(db, $"SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity WHERE application_name = '{application}' AND wait_event_type = 'Lock'") == 0)
        {
            await Task.Delay(20);
        }

        var error = await Assert.ThrowsAsync<SluiceException>(() => write);
        Assert.True(error.IsRetryable, error.Message);
    }

    [Fact]
    public async Task An_unknown_role_refuses_every_record_with_the_fix()
    {
        await using var db = await DatabaseWithTableAsync(nameof(An_unknown_role_refuses_every_record_with_the_fix));
        await using var nobody = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = "no_such_role_x" }.ConnectionString);
        await using var destination = Destination(nobody, user: "no_such_role_x");

        var results = await WriteAsync(destination, Envelope(Guid.NewGuid(), """{"eventType":"e"}"""), Envelope(Guid.NewGuid(), """{"eventType":"f"}"""));

        Assert.All(results, r =>
        {
            Assert.Equal(WriteStatus.Rejected, r.Status);
            Assert.Contains("authentication failed for user 'no_such_role_x'", r.Reason, StringComparison.Ordinal);
            Assert.Contains("sluice dlq replay", r.Reason, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_table_per_event_type_keeps_hostile_unicode_and_long_names_safe()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_table_per_event_type_keeps_hostile_unicode_and_long_names_safe));
        await ExecuteAsync(db, "CREATE TABLE users (id int); INSERT INTO users VALUES (1)");
        await using var destination = Destination(db, options: Options(perType: true, createTable: true));
        string[] types = ["Order Completed", "\"; DROP TABLE users; --", "注文完了", new string('x', 150) + "y" + new string('z', 149), "order completed"];
        var ids = types.Select(_ => Guid.NewGuid()).ToArray();
        var changes = types.Select((type, n) => Envelope(ids[n], $$"""{"eventType":{{System.Text.Json.JsonSerializer.Serialize(type)}}}""")).ToArray();

        var results = await WriteAsync(destination, changes);

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(1, await ScalarAsync<long>(db, "SELECT count(*) FROM users"));
        Assert.Equal("events_order_completed", EventsTableNames.ForEventType("events", "Order Completed"));
        Assert.Equal("events_drop_table_users", EventsTableNames.ForEventType("events", types[1]));
        for (var n = 0; n < types.Length; n++)
        {
            var table = EventsTableNames.ForEventType("events", types[n]);
            Assert.Matches("^[a-z0-9_]{1,63}$", table);
            Assert.Equal(types[n], await ScalarAsync<string>(db, $"SELECT event_type FROM public.{SqlNames.Quote(table)} WHERE event_id = '{ids[n]}'"));
        }

        // "Order Completed" and "order completed" share a table; the five types make four tables.
        Assert.Equal(4, await ScalarAsync<long>(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'events\\_%'"));
        Assert.NotEqual(EventsTableNames.ForEventType("events", new string('a', 300)), EventsTableNames.ForEventType("events", new string('a', 299) + "b"));
    }

    [Fact]
    public async Task An_event_no_row_can_be_made_of_is_refused_at_encoding()
    {
        await using var db = await DatabaseWithTableAsync(nameof(An_event_no_row_can_be_made_of_is_refused_at_encoding));
        await using var destination = Destination(db);
        var mapping = Mapping(destination);

        var notObject = Assert.Throws<SluiceException>(() => destination.Encode(Envelope(Guid.NewGuid(), "[1,2]").ToChange(mapping), mapping));
        var badTime = Assert.Throws<SluiceException>(() => destination.Encode(Envelope(Guid.NewGuid(), """{"eventType":"e","occurredAt":"yesterday"}""").ToChange(mapping), mapping));

        Assert.Equal(ErrorClass.RecordRejected, notObject.Class);
        Assert.Equal(ErrorClass.RecordRejected, badTime.Class);
        Assert.Contains("occurredAt 'yesterday' is not a timestamp", badTime.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stored_payload_of_another_destination_is_refused_on_replay()
    {
        await using var db = await DatabaseWithTableAsync(nameof(A_stored_payload_of_another_destination_is_refused_on_replay));
        await using var destination = Destination(db);

        var results = await destination.WriteAsync([new EncodedRecord(Change("k", []), "m", Encoding.UTF8.GetBytes("""{"type":"identify","userId":"1"}"""))], default);

        Assert.Equal(WriteStatus.Rejected, results[0].Status);
        Assert.Contains("not an events-table row", results[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_creates_its_staging_table_once_and_keeps_it_between_batches()
    {
        await using var db = await DatabaseWithTableAsync(nameof(A_session_creates_its_staging_table_once_and_keeps_it_between_batches));
        await using var destination = Destination(db);
        const string staging = $$"""
            SELECT coalesce(array_agg(c.oid::bigint), '{}') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relname = '{{EventsTableStaging.Table}}' AND n.nspname LIKE 'pg\_temp\_%'
            """;

        await WriteAsync(destination, Envelope(Guid.NewGuid(), """{"eventType":"e"}"""));
        var first = await ScalarAsync<long[]>(db, staging);
        await WriteAsync(destination, Envelope(Guid.NewGuid(), """{"eventType":"e"}"""));
        var second = await ScalarAsync<long[]>(db, staging);

        // One session, one staging table, the same one for the second batch (not dropped and made again).
        Assert.Single(first);
        Assert.Equal(first, second);
        Assert.Equal(2, await ScalarAsync<long>(db, "SELECT count(*) FROM public.events"));
        await destination.DisposeAsync();
        await Eventually.HoldsAsync(async () => (await ScalarAsync<long[]>(db, staging)).Length == 0, "the session (and its staging table) closed on dispose");
    }

    [Fact]
    public async Task Values_round_trip_typed_through_the_staging_table()
    {
        await using var db = await DatabaseWithTableAsync(nameof(Values_round_trip_typed_through_the_staging_table));
        await using var destination = Destination(db);
        var (full, bare) = (Guid.NewGuid(), Guid.NewGuid());
        var payload = """{"big":12345678901234567890.5,"tiny":1e-30,"text":"é ü 😀 \"q\" \\ \t \u00e9","null":null,"nested":{"a":[1,{"b":false}]},"empty":{}}""";
        var changes = new[]
        {
            Envelope(full, $$"""{"eventType":"ty pé 😀","occurredAt":"1999-12-31T23:59:59.999999Z","customerExternalId":"c\u00e9","source":"s","payload":{{payload}}}"""),
            // No customer, no occurredAt: NULL and received_at.
            Envelope(bare, """{"eventType":"e"}"""),
        };

        Assert.All(await WriteAsync(destination, changes), r => Assert.Equal(WriteStatus.Ok, r.Status));

        var row = await SingleRowAsync(db, "public.events", full);
        Assert.Equal(("ty pé 😀", "cé", "s"), (row.EventType, row.Customer, row.Source));
        Assert.Equal(new DateTime(1999, 12, 31, 23, 59, 59, DateTimeKind.Utc).AddTicks(9_999_990), row.OccurredAt);
        Assert.Equal(ReceivedAt, row.ReceivedAt);
        Assert.True(await JsonEqualsAsync(db, row.Payload, payload));
        Assert.Equal("false", await ScalarAsync<string>(db, $"SELECT payload #>> '{{nested,a,1,b}}' FROM public.events WHERE event_id = '{full}'"));
        var b = await SingleRowAsync(db, "public.events", bare);
        Assert.Null(b.Customer);
        Assert.Equal(ReceivedAt, b.OccurredAt);
        Assert.Equal("{}", b.Payload);
    }

    [Fact]
    public async Task Duplicates_in_one_batch_and_across_batches_land_once()
    {
        await using var db = await DatabaseWithTableAsync(nameof(Duplicates_in_one_batch_and_across_batches_land_once));
        await using var destination = Destination(db);
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

        var first = await WriteAsync(destination, Envelope(a, """{"eventType":"first","payload":{"n":1}}"""));
        var second = await WriteAsync(destination,
            Envelope(b, """{"eventType":"e","payload":{"n":2}}"""),
            Envelope(a, """{"eventType":"again","payload":{"n":3}}"""),
            Envelope(c, """{"eventType":"e","payload":{"n":4}}"""),
            Envelope(b, """{"eventType":"twice","payload":{"n":5}}"""));

        Assert.Equal([WriteResult.Acknowledged(a.ToString())], first);
        Assert.Equal(new[] { b, a, c, b }.Select(id => WriteResult.Acknowledged(id.ToString())), second);
        Assert.Equal(3, await ScalarAsync<long>(db, "SELECT count(*) FROM public.events"));
        // The row already there wins; within one batch, the first of the two.
        Assert.Equal("first", (await SingleRowAsync(db, "public.events", a)).EventType);
        Assert.Equal("e", (await SingleRowAsync(db, "public.events", b)).EventType);
    }

    [Fact]
    public async Task A_batch_replayed_after_its_session_died_is_a_no_op()
    {
        await using var db = await DatabaseWithTableAsync(nameof(A_batch_replayed_after_its_session_died_is_a_no_op));
        var application = "landing_" + Guid.NewGuid().ToString("N")[..8];
        await using var victim = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString) { ApplicationName = application }.ConnectionString);
        await using var destination = Destination(victim);
        var changes = Enumerable.Range(0, 20).Select(n => Envelope(Guid.NewGuid(), $$$"""{"eventType":"e","payload":{"n":{{{n}}}}}""")).ToArray();
        Assert.All(await WriteAsync(destination, changes), r => Assert.Equal(WriteStatus.Ok, r.Status));

        // The crash: the session that wrote (and its staging table) dies before the checkpoint, and the batch comes again.
        Assert.Equal(1, await ScalarAsync<int>(db, $"SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity WHERE application_name = '{application}'"));
        IReadOnlyList<WriteResult>? replay = null;
        for (var attempt = 0; replay is null && attempt < 3; attempt++)
        {
            try
            {
                replay = await WriteAsync(destination, changes);
            }
            catch (SluiceException e) when (e.IsRetryable)
            {
                // The engine retries a transient failure; the dead session is not kept.
            }
        }

        Assert.NotNull(replay);
        Assert.All(replay, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(20, await ScalarAsync<long>(db, "SELECT count(*) FROM public.events"));
    }

    [Fact]
    public async Task A_role_that_may_not_create_temporary_tables_writes_without_staging()
    {
        await using var db = await DatabaseWithTableAsync(nameof(A_role_that_may_not_create_temporary_tables_writes_without_staging));
        var role = "notemp_" + Guid.NewGuid().ToString("N")[..12];
        var database = await ScalarAsync<string>(db, "SELECT current_database()");
        await ExecuteAsync(db, $"""
            CREATE ROLE {role} LOGIN;
            REVOKE TEMPORARY ON DATABASE "{database}" FROM PUBLIC;
            GRANT USAGE ON SCHEMA public TO {role};
            GRANT INSERT ON public.events TO {role};
            """);
        await using var writer = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role }.ConnectionString);
        await using var destination = Destination(writer, user: role);
        var changes = Enumerable.Range(0, 10).Select(n => Envelope(Guid.NewGuid(), $$$"""{"eventType":"e","payload":{"n":{{{n}}}}}""")).ToArray();

        var first = await WriteAsync(destination, changes);
        var replay = await WriteAsync(destination, changes);

        Assert.All(first.Concat(replay), r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(10, await ScalarAsync<long>(db, "SELECT count(*) FROM public.events"));
    }

    [Fact]
    public async Task New_events_land_by_one_copy_and_a_batch_meeting_a_landed_event_lands_once_through_staging()
    {
        await using var db = await DatabaseWithTableAsync(nameof(New_events_land_by_one_copy_and_a_batch_meeting_a_landed_event_lands_once_through_staging));
        await using var destination = Destination(db);
        IngestChange Numbered(int n) => Envelope(Guid.NewGuid(), $$$"""{"eventType":"e","payload":{"n":{{{n}}}}}""");
        var first = Enumerable.Range(0, 10).Select(Numbered).ToArray();

        Assert.All(await WriteAsync(destination, first), r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal((1L, 0L), (destination.DirectCopy.Direct, destination.DirectCopy.Conflicts));

        // A replay of the batch's last event among new ones: the COPY meets it, writes nothing, and staging lands the rest.
        var mixed = Enumerable.Range(10, 5).Select(Numbered).Append(first[^1]).ToArray();
        Assert.All(await WriteAsync(destination, mixed), r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal((1L, 1L), (destination.DirectCopy.Direct, destination.DirectCopy.Conflicts));
        Assert.Equal(15, await ScalarAsync<long>(db, "SELECT count(*) FROM public.events"));

        // The next batch after a conflict goes through staging; the one after it tries the COPY again.
        await WriteAsync(destination, Enumerable.Range(15, 5).Select(Numbered).ToArray());
        Assert.Equal(1L, destination.DirectCopy.Direct);
        await WriteAsync(destination, Enumerable.Range(20, 5).Select(Numbered).ToArray());
        Assert.Equal((2L, 1L), (destination.DirectCopy.Direct, destination.DirectCopy.Conflicts));
        Assert.Equal(25, await ScalarAsync<long>(db, "SELECT count(*) FROM public.events"));
        Assert.Equal(Enumerable.Range(0, 25).Select(n => (long)n), await ScalarAsync<long[]>(db, "SELECT array_agg((payload->>'n')::bigint ORDER BY (payload->>'n')::bigint) FROM public.events"));
    }

    [Fact]
    public async Task A_table_of_other_column_types_or_with_row_security_lands_through_staging_converted()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_table_of_other_column_types_or_with_row_security_lands_through_staging_converted));
        await ExecuteAsync(db, """
            CREATE TABLE public.events (event_id uuid PRIMARY KEY, event_type varchar(200) NOT NULL, occurred_at timestamptz NOT NULL,
                customer_external_id text, source text NOT NULL, payload json NOT NULL, metadata jsonb NOT NULL, received_at timestamptz NOT NULL);
            CREATE TABLE public.secured (LIKE public.events INCLUDING ALL);
            ALTER TABLE public.secured ALTER COLUMN event_type TYPE text, ALTER COLUMN payload TYPE jsonb;
            ALTER TABLE public.secured ENABLE ROW LEVEL SECURITY;
            """);
        await using var json = Destination(db);
        await using var secured = Destination(db, new EventsTableOptions { Schema = "public", Table = "secured" });
        var id = Guid.NewGuid();

        Assert.All(await WriteAsync(json, Envelope(id, """{"eventType":"e","payload":{"b": 1, "a": [true]}}""")), r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.All(await WriteAsync(secured, Envelope(id, """{"eventType":"e","payload":{"n":1}}""")), r => Assert.Equal(WriteStatus.Ok, r.Status));

        Assert.Equal((0L, 0L), (json.DirectCopy.Direct, secured.DirectCopy.Direct));
        // Through the staging table's jsonb, as before: the json column holds jsonb's text of it.
        Assert.Equal("""{"a": [true], "b": 1}""", await ScalarAsync<string>(db, "SELECT payload::text FROM public.events"));
        Assert.Equal(1, await ScalarAsync<long>(db, "SELECT count(*) FROM public.secured"));
    }

    private static EventsTableOptions Options(string schema = "public", bool perType = false, bool createTable = false) =>
        new() { Schema = schema, Table = "events", TablePerEventType = perType, CreateTable = createTable };

    private static EventsTableDestination Destination(NpgsqlDataSource db, EventsTableOptions? options = null, string user = "postgres") =>
        new("events_sync", db, new PostgresConnectionOptions { Name = "wh", Database = "test", User = user }, options ?? Options());

    private static async Task<IReadOnlyList<WriteResult>> WriteAsync(IDestination destination, params IngestChange[] changes)
    {
        var mapping = Mapping(destination);
        return await destination.WriteAsync(changes.Select(c => destination.Encode(c.ToChange(mapping), mapping)).ToList(), default);
    }

    /// <summary>What `sluice dlq replay` sends: the stored payload, with a change that carries the key only.</summary>
    private static EncodedRecord Stored(EncodedRecord encoded) =>
        new(Change(encoded.Change.Key, []), encoded.MessageId, encoded.Payload.ToArray());

    private static async Task<NpgsqlDataSource> DatabaseWithTableAsync(string purpose)
    {
        var db = await TestPostgres.CreateDataSourceAsync(purpose);
        await ExecuteAsync(db, EventsTableDdl.CreateTable("public", "events"));
        return db;
    }

    private static async Task<Row> SingleRowAsync(NpgsqlDataSource db, string table, Guid id)
    {
        await using var command = db.CreateCommand($"SELECT event_type, occurred_at, customer_external_id, source, payload::text, metadata::text, received_at FROM {table} WHERE event_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var row = new Row(reader.GetString(0), reader.GetDateTime(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetDateTime(6));
        Assert.False(await reader.ReadAsync());
        return row;
    }

    private static Task<bool> JsonEqualsAsync(NpgsqlDataSource db, string actual, string expected) =>
        ScalarAsync<bool>(db, "SELECT $1::jsonb = $2::jsonb", actual, expected);

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql, params object[] values)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    private sealed record Row(string EventType, DateTime OccurredAt, string? Customer, string Source, string Payload, string Metadata, DateTime ReceivedAt);
}
