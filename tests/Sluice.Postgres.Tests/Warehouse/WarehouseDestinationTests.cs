using System.Text;
using System.Text.Json;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;

namespace Sluice.Postgres.Tests.Warehouse;

public sealed class WarehouseDestinationTests
{
    private const string Context = """{"library": {"name": "analytics.js", "version": "1.0"}, "ip": "10.0.0.1"}""";

    [Fact]
    public async Task Identify_lands_in_identifies_and_users_keeps_the_latest_non_null_traits()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(Identify_lands_in_identifies_and_users_keeps_the_latest_non_null_traits));

        AssertOk(await bed.WriteAsync(
            Identify("i1", "u1", """{"plan": "free", "email": "a@example.com"}""", "2024-05-01T10:00:00Z"),
            Identify("i2", "u1", """{"plan": "pro"}""", "2024-05-01T11:00:00Z")));
        // A late event: older than what users holds, so it only fills the trait users has no value for.
        AssertOk(await bed.WriteAsync(Identify("i0", "u1", """{"plan": "trial", "age": 30}""", "2024-05-01T09:00:00Z")));

        Assert.Equal(3L, await bed.ScalarAsync<long>("SELECT count(*) FROM web.identifies"));
        Assert.Equal(
            [["u1", "pro", "a@example.com", "30", "analytics.js", "2024-05-01 11:00:00Z"]],
            await bed.RowsAsync("SELECT id, plan, email, age::text, context_library_name, to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"') FROM web.users"));
        Assert.Equal(
            [["i0", "u1", "trial"], ["i1", "u1", "free"], ["i2", "u1", "pro"]],
            await bed.RowsAsync("SELECT id, user_id, plan FROM web.identifies ORDER BY id"));
        var columns = await bed.ColumnsAsync();
        Assert.DoesNotContain("user_id", columns["users"].Keys);
        Assert.DoesNotContain("anonymous_id", columns["users"].Keys);
        Assert.Equal("character varying", columns["users"]["id"]);
        Assert.Equal("bigint", columns["users"]["age"]);
        Assert.Equal(0L, await bed.ScalarAsync<long>("SELECT count(*) FROM web.users WHERE uuid_ts IS NULL"));
    }

    [Fact]
    public async Task Track_lands_in_tracks_and_its_event_table_with_the_context_flattened()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(Track_lands_in_tracks_and_its_event_table_with_the_context_flattened));

        AssertOk(await bed.WriteAsync(Track("t1", "Order Completed", """{"total": 12.5, "items": 3, "coupon": {"code": "X1"}, "tags": ["a", "b"]}""")));

        Assert.Equal(
            [["t1", "order_completed", "Order Completed", "u1", "analytics.js", "10.0.0.1"]],
            await bed.RowsAsync("SELECT id, event, event_text, user_id, context_library_name, context_ip FROM web.tracks"));
        Assert.Equal(
            [["t1", "12.5", "3", "X1", "[\"a\",\"b\"]", "analytics.js"]],
            await bed.RowsAsync("SELECT id, total::text, items::text, coupon_code, tags, context_library_name FROM web.order_completed"));
        var columns = await bed.ColumnsAsync();
        Assert.DoesNotContain("total", columns["tracks"].Keys);
        Assert.Equal("numeric", columns["order_completed"]["total"]);
        Assert.Equal("bigint", columns["order_completed"]["items"]);
        Assert.Equal("timestamp with time zone", columns["order_completed"]["timestamp"]);
        Assert.Equal("timestamp with time zone", columns["order_completed"]["uuid_ts"]);
    }

    [Fact]
    public async Task Hostile_event_names_get_safe_quoted_tables_and_touch_nothing_else()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(Hostile_event_names_get_safe_quoted_tables_and_touch_nothing_else));
        await bed.ExecuteAsync("CREATE TABLE public.users (id int); INSERT INTO public.users VALUES (1); CREATE SCHEMA other; CREATE TABLE other.tracks (id int)");
        var before = await Relations(bed);
        var longName = string.Concat(Enumerable.Repeat("Very Long Event ", 19)).Trim();
        Assert.True(longName.Length > 290);

        AssertOk(await bed.WriteAsync(
            Track("t1", "\"; DROP TABLE users; --", """{"x": 1}"""),
            Track("t2", "Über Ereignis 日本語 ✓", """{"x": 2}"""),
            Track("t3", "日本語", """{"x": 3}"""),
            Track("t4", longName, """{"x": 4}"""),
            Track("t5", "Users", """{"x": 5}""")));

        var tables = (await bed.ColumnsAsync()).Keys.Order().ToList();
        var longTable = tables.Single(t => t.StartsWith("very_long_event_", StringComparison.Ordinal));
        Assert.Equal(63, longTable.Length);
        var unicodeOnly = tables.Single(t => t.StartsWith("_x", StringComparison.Ordinal));
        Assert.Equal(
            new[] { "_users", "ber_ereignis", "discards", "drop_table_users", longTable, unicodeOnly, "tracks" }.Order(),
            tables);
        Assert.Equal(
            [["t1", "drop_table_users", "\"; DROP TABLE users; --"], ["t2", "ber_ereignis", "Über Ereignis 日本語 ✓"], ["t3", unicodeOnly, "日本語"],
             ["t4", longTable, longName], ["t5", "_users", "Users"]],
            await bed.RowsAsync("SELECT id, event, event_text FROM web.tracks ORDER BY id"));
        foreach (var (table, id) in new[] { ("drop_table_users", "t1"), ("ber_ereignis", "t2"), (unicodeOnly, "t3"), (longTable, "t4"), ("_users", "t5") })
        {
            Assert.Equal([[id]], await bed.RowsAsync($"SELECT id FROM web.\"{table}\""));
        }

        // Nothing outside the schema appeared or went away, and the canary kept its row.
        var after = await Relations(bed);
        Assert.Empty(before.Except(after));
        Assert.All(after.Except(before), r => Assert.Equal(WarehouseBed.Schema, r.Schema));
        Assert.Equal(1L, await bed.ScalarAsync<long>("SELECT count(*) FROM public.users"));
    }

    [Fact]
    public async Task Page_screen_group_and_alias_land_in_their_tables_and_accounts_keeps_the_latest_traits()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(Page_screen_group_and_alias_land_in_their_tables_and_accounts_keeps_the_latest_traits));

        AssertOk(await bed.WriteAsync(
            Event("p1", "page", """ "name": "Home", "properties": {"path": "/", "title": "Welcome"} """),
            Event("s1", "screen", """ "name": "Main", "properties": {"orientation": "portrait"} """),
            Event("g1", "group", """ "groupId": "acme", "traits": {"name": "Acme", "employees": 10} """, "2024-05-01T10:00:00Z"),
            Event("g2", "group", """ "groupId": "acme", "traits": {"employees": 12} """, "2024-05-01T11:00:00Z"),
            Event("a1", "alias", """ "previousId": "anon-1" """)));

        Assert.Equal([["p1", "Home", "/", "Welcome"]], await bed.RowsAsync("SELECT id, name, path, title FROM web.pages"));
        Assert.Equal([["s1", "Main", "portrait"]], await bed.RowsAsync("SELECT id, name, orientation FROM web.screens"));
        Assert.Equal([["g1", "acme", "10"], ["g2", "acme", "12"]], await bed.RowsAsync("SELECT id, group_id, employees::text FROM web.groups ORDER BY id"));
        Assert.Equal([["acme", "Acme", "12", "u1"]], await bed.RowsAsync("SELECT id, name, employees::text, user_id FROM web.accounts"));
        Assert.Equal([["a1", "anon-1", "u1"]], await bed.RowsAsync("SELECT id, previous_id, user_id FROM web.aliases"));
    }

    [Fact]
    public async Task A_new_field_adds_a_column_and_earlier_rows_keep_null_there()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(A_new_field_adds_a_column_and_earlier_rows_keep_null_there));

        AssertOk(await bed.WriteAsync(Track("t1", "Signed Up", """{"plan": "free"}""")));
        Assert.DoesNotContain("referrer", (await bed.ColumnsAsync())["signed_up"].Keys);
        AssertOk(await bed.WriteAsync(Track("t2", "Signed Up", """{"plan": "pro", "referrerURL": "https://x.example", "seats": 4}""", context: """{"locale": "de-DE"}""")));

        var columns = await bed.ColumnsAsync();
        Assert.Equal("text", columns["signed_up"]["referrer_url"]);
        Assert.Equal("bigint", columns["signed_up"]["seats"]);
        Assert.Equal("text", columns["tracks"]["context_locale"]);
        Assert.Equal(
            [["t1", "free", null, null], ["t2", "pro", "https://x.example", "4"]],
            await bed.RowsAsync("SELECT id, plan, referrer_url, seats::text FROM web.signed_up ORDER BY id"));
    }

    [Fact]
    public async Task A_conflicting_value_is_cast_when_safe_and_otherwise_kept_in_discards_while_the_rest_of_the_row_lands()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(A_conflicting_value_is_cast_when_safe_and_otherwise_kept_in_discards_while_the_rest_of_the_row_lands));
        AssertOk(await bed.WriteAsync(Track("t1", "Paid", """{"amount": 1.5, "count": 1, "label": "first", "vip": true}""")));

        AssertOk(await bed.WriteAsync(Track("t2", "Paid", """{"amount": 7, "count": "many", "label": 42, "vip": "yes"}""", receivedAt: "2024-05-02T00:00:00Z")));

        Assert.Equal(
            [["t1", "1.5", "1", "first", "True"], ["t2", "7", null, "42", null]],
            await bed.RowsAsync("SELECT id, amount::text, count::text, label, vip FROM web.paid ORDER BY id"));
        Assert.Equal(
            [
                ["paid", "t2", "count", "many", "2024-05-02 00:00:00", "a string does not fit a bigint column"],
                ["paid", "t2", "vip", "yes", "2024-05-02 00:00:00", "a string does not fit a boolean column"],
            ],
            await bed.RowsAsync("SELECT table_name, row_id, column_name, column_value, to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), reason FROM web.discards ORDER BY column_name"));
        Assert.Equal(0L, await bed.ScalarAsync<long>("SELECT count(*) FROM web.discards WHERE uuid_ts IS NULL"));
    }

    [Fact]
    public async Task A_column_a_user_changed_to_a_type_the_loader_does_not_write_keeps_its_values_in_discards()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(A_column_a_user_changed_to_a_type_the_loader_does_not_write_keeps_its_values_in_discards));
        AssertOk(await bed.WriteAsync(Track("t1", "Booked", """{"day": "monday", "guests": 2}""")));
        await bed.ExecuteAsync("ALTER TABLE web.booked ALTER COLUMN day TYPE date USING NULL");

        AssertOk(await bed.WriteAsync(Track("t2", "Booked", """{"day": "tuesday", "guests": 3}""")));

        Assert.Equal([["t1", null, "2"], ["t2", null, "3"]], await bed.RowsAsync("SELECT id, day::text, guests::text FROM web.booked ORDER BY id"));
        Assert.Equal(
            [["booked", "t2", "day", "tuesday", "the column day has the type date, which the loader does not write"]],
            await bed.RowsAsync("SELECT table_name, row_id, column_name, column_value, reason FROM web.discards"));
    }

    [Fact]
    public async Task A_replayed_batch_lands_nothing_new()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(A_replayed_batch_lands_nothing_new));
        string[] batch =
        [
            Identify("i1", "u1", """{"plan": "pro", "userId": "reserved-trait"}""", "2024-05-01T10:00:00Z"),
            Track("t1", "Viewed", """{"n": 1}"""),
            Event("g1", "group", """ "groupId": "acme", "traits": {"size": 3} """),
        ];
        AssertOk(await bed.WriteAsync(batch));
        const string Snapshot = """
            SELECT 'identifies', count(*), max(uuid_ts)::text FROM web.identifies UNION ALL
            SELECT 'users', count(*), max(uuid_ts)::text FROM web.users UNION ALL
            SELECT 'tracks', count(*), max(uuid_ts)::text FROM web.tracks UNION ALL
            SELECT 'viewed', count(*), max(uuid_ts)::text FROM web.viewed UNION ALL
            SELECT 'accounts', count(*), max(uuid_ts)::text FROM web.accounts UNION ALL
            SELECT 'discards', count(*), max(uuid_ts)::text FROM web.discards
            """;
        var first = await bed.RowsAsync(Snapshot);
        // The reserved trait is discarded from identifies and from users.
        Assert.Equal("2", first.Single(r => r[0] == "discards")[1]);

        AssertOk(await bed.WriteAsync(batch));
        // Twice in one batch, too.
        AssertOk(await bed.WriteAsync(Track("t1", "Viewed", """{"n": 1}"""), Track("t1", "Viewed", """{"n": 1}""")));

        Assert.Equal(first, await bed.RowsAsync(Snapshot));
    }

    [Fact]
    public async Task Events_that_cannot_be_loaded_are_rejected_with_the_reason_and_the_rest_lands()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(Events_that_cannot_be_loaded_are_rejected_with_the_reason_and_the_rest_lands));

        var results = await bed.WriteAsync(
            "{not json",
            """{"type": "track", "event": "No Id", "userId": "u1"}""",
            """{"type": "track", "messageId": "t0", "userId": "u1"}""",
            Track("t1", "Fine", """{"a": 1}"""));

        Assert.Equal([WriteStatus.Rejected, WriteStatus.Rejected, WriteStatus.Rejected, WriteStatus.Ok], results.Select(r => r.Status));
        Assert.Contains("not valid JSON", results[0].Reason, StringComparison.Ordinal);
        Assert.Contains("no messageId", results[1].Reason, StringComparison.Ordinal);
        Assert.Contains("no event name", results[2].Reason, StringComparison.Ordinal);
        Assert.Equal([["t1"]], await bed.RowsAsync("SELECT id FROM web.tracks"));

        var mapping = WarehouseBed.Mapping(bed.Destination);
        var envelope = Assert.Throws<SluiceException>(() => bed.Destination.Encode(WarehouseBed.Change(mapping, """{"eventType": "x"}""", kind: "envelope"), mapping));
        Assert.Equal(ErrorClass.RecordRejected, envelope.Class);
    }

    [Fact]
    public async Task A_view_named_like_an_event_table_stops_the_load_with_a_plain_message()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(A_view_named_like_an_event_table_stops_the_load_with_a_plain_message));
        AssertOk(await bed.WriteAsync(Track("t1", "Viewed", """{"n": 1}""")));
        await bed.ExecuteAsync("CREATE VIEW web.clicked AS SELECT 1 AS id");

        var error = await Assert.ThrowsAsync<SluiceException>(() => bed.WriteAsync(Track("t2", "Clicked", """{"n": 2}""")));

        Assert.Equal(ErrorClass.Fatal, error.Class);
        Assert.Contains("\"web\".\"clicked\" could not be created", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_keeps_the_payload_and_keys_it_by_the_messageId()
    {
        // Encoding never opens a connection.
        using var dataSource = Npgsql.NpgsqlDataSource.Create("Host=localhost;Database=unused");
        var destination = new Sluice.Postgres.Destinations.Warehouse.WarehouseDestination(
            dataSource,
            new PostgresConnectionOptions { Name = "wh", Database = "unused" },
            new Sluice.Postgres.Destinations.Warehouse.WarehouseDestinationOptions { Schema = "web" });
        var mapping = WarehouseBed.Mapping(destination);
        var payload = Track("m-42", "Viewed", """{"n": 1}""");

        var encoded = destination.Encode(WarehouseBed.Change(mapping, payload), mapping);

        Assert.Equal("m-42", encoded.MessageId);
        Assert.Equal(payload, Encoding.UTF8.GetString(encoded.Payload.Span));
        Assert.Equal(1, destination.Limits.MaxInFlight);
    }

    [Fact]
    public async Task The_loader_holds_at_most_a_thousand_events_at_once()
    {
        // Every event of a batch is planned (rows and cells as objects) before the batch is loaded, one batch at a
        // time: the batch's size is what bounds the loader's memory (5,000 peaked the process at 425–485 MB).
        await using var dataSource = Npgsql.NpgsqlDataSource.Create("Host=localhost;Database=unused");
        await using var destination = new Sluice.Postgres.Destinations.Warehouse.WarehouseDestination(
            dataSource,
            new PostgresConnectionOptions { Name = "wh", Database = "unused" },
            new Sluice.Postgres.Destinations.Warehouse.WarehouseDestinationOptions { Schema = "web" });

        Assert.Equal(1, destination.Limits.MaxInFlight);
        Assert.InRange(destination.Limits.MaxRecords, 100, 1_000);
    }

    [Fact]
    public async Task User_indexes_do_not_block_loading_and_a_user_unique_index_rejects_only_the_events_it_refuses()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(User_indexes_do_not_block_loading_and_a_user_unique_index_rejects_only_the_events_it_refuses));
        AssertOk(await bed.WriteAsync(
            Identify("i1", "u1", """{"email": "a@example.com"}""", "2024-05-01T10:00:00Z"),
            Track("t1", "Noted", """{"note": "short"}""")));
        await bed.ExecuteAsync("""
            CREATE INDEX my_tracks_event ON web.tracks (event, received_at);
            CREATE UNIQUE INDEX my_users_email ON web.users (email);
            CREATE INDEX my_noted_note ON web.noted (note);
            """);
        // Random letters and digits: too long for a btree index entry even after PostgreSQL compresses it.
        const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var random = new Random(42);
        var huge = new string(Enumerable.Range(0, 20_000).Select(_ => Alphabet[random.Next(Alphabet.Length)]).ToArray());

        var results = await bed.WriteAsync(
            Identify("i2", "u2", """{"email": "b@example.com"}""", "2024-05-01T10:00:00Z"),
            Identify("i3", "u3", """{"email": "a@example.com"}""", "2024-05-01T10:00:00Z"),
            Track("t2", "Noted", $$"""{"note": "{{huge}}"}"""),
            Track("t3", "Noted", """{"note": "fine", "extra": 1}"""));

        Assert.Equal([WriteStatus.Ok, WriteStatus.Rejected, WriteStatus.Rejected, WriteStatus.Ok], results.Select(r => r.Status));
        Assert.Contains("my_users_email", results[1].Reason, StringComparison.Ordinal);
        Assert.Contains("noted", results[2].Reason, StringComparison.Ordinal);
        // A refused event leaves nothing behind; the others land whole, and the indexes are untouched.
        Assert.Equal([["i1"], ["i2"]], await bed.RowsAsync("SELECT id FROM web.identifies ORDER BY id"));
        Assert.Equal([["u1", "a@example.com"], ["u2", "b@example.com"]], await bed.RowsAsync("SELECT id, email FROM web.users ORDER BY id"));
        Assert.Equal([["t1"], ["t3"]], await bed.RowsAsync("SELECT id FROM web.tracks ORDER BY id"));
        Assert.Equal([["t1", null], ["t3", "1"]], await bed.RowsAsync("SELECT id, extra::text FROM web.noted ORDER BY id"));
        Assert.Equal(3L, await bed.ScalarAsync<long>(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = 'web' AND indexname IN ('my_tracks_event', 'my_users_email', 'my_noted_note')"));
    }

    [Fact]
    public async Task Two_destinations_loading_one_schema_at_once_do_not_fail_on_ddl()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(Two_destinations_loading_one_schema_at_once_do_not_fail_on_ddl));
        var other = bed.CreateDestination();

        for (var round = 0; round < 5; round++)
        {
            // Both create the schema (first round), the same new tables and the same new columns with other types.
            var a = WarehouseBed.WriteAsync(bed.Destination,
                Track($"a{round}", $"Shared {round}", $$"""{"p{{round}}": 1, "only_a": true}"""),
                Identify($"ia{round}", "u1", $$"""{"t{{round}}": 1}""", "2024-05-01T10:00:00Z"));
            var b = WarehouseBed.WriteAsync(other,
                Track($"b{round}", $"Shared {round}", $$"""{"p{{round}}": "text", "only_b": 2}"""),
                Identify($"ib{round}", "u1", $$"""{"t{{round}}": "x"}""", "2024-05-01T10:00:00Z"));

            var results = await Task.WhenAll(a, b);

            Assert.All(results, AssertOk);
        }

        for (var round = 0; round < 5; round++)
        {
            Assert.Equal(2L, await bed.ScalarAsync<long>($"SELECT count(*) FROM web.shared_{round}"));
        }

        Assert.Equal(10L, await bed.ScalarAsync<long>("SELECT count(*) FROM web.tracks"));
        // Whichever created p0 first fixed its type; the other's value was cast or discarded, never lost.
        var p0 = await bed.ScalarAsync<string>("SELECT data_type::text FROM information_schema.columns WHERE table_schema = 'web' AND table_name = 'shared_0' AND column_name = 'p0'");
        var lost = await bed.ScalarAsync<long>("SELECT count(*) FROM web.shared_0 WHERE p0 IS NULL");
        Assert.Equal(lost, await bed.ScalarAsync<long>("SELECT count(*) FROM web.discards WHERE table_name = 'shared_0' AND column_name = 'p0'"));
        Assert.Equal(p0 == "text" ? 0L : 1L, lost);
    }

    [Fact]
    public async Task A_role_with_only_create_and_temporary_on_the_database_can_load()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(A_role_with_only_create_and_temporary_on_the_database_can_load));
        var database = new Npgsql.NpgsqlConnectionStringBuilder(bed.ConnectionString).Database;
        var loader = $"loader_{Environment.ProcessId}";
        var nobody = $"nobody_{Environment.ProcessId}";
        await bed.ExecuteAsync($"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{loader}') THEN CREATE ROLE {loader} LOGIN; END IF;
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{nobody}') THEN CREATE ROLE {nobody} LOGIN; END IF;
            END $$;
            REVOKE ALL ON DATABASE "{database}" FROM PUBLIC;
            GRANT CONNECT, CREATE, TEMPORARY ON DATABASE "{database}" TO {loader};
            GRANT CONNECT ON DATABASE "{database}" TO {nobody};
            """);

        var refused = bed.CreateDestination(user: nobody);
        var error = await Assert.ThrowsAsync<SluiceException>(() => refused.CheckAsync(CancellationToken.None));
        Assert.Equal(ErrorClass.Fatal, error.Class);
        Assert.Contains($"GRANT CREATE, TEMPORARY ON DATABASE \"{database}\" TO \"{nobody}\";", error.Message, StringComparison.Ordinal);
        var denied = await Assert.ThrowsAsync<SluiceException>(() => WarehouseBed.WriteAsync(refused, Track("t0", "Viewed", "{}")));
        Assert.Equal(ErrorClass.Fatal, denied.Class);
        Assert.Contains("GRANT CREATE, TEMPORARY ON DATABASE", denied.Message, StringComparison.Ordinal);

        var destination = bed.CreateDestination(user: loader);
        await destination.CheckAsync(CancellationToken.None);
        AssertOk(await WarehouseBed.WriteAsync(destination,
            Identify("i1", "u1", """{"plan": "pro"}""", "2024-05-01T10:00:00Z"),
            Track("t1", "Viewed", """{"n": 1}""")));
        AssertOk(await WarehouseBed.WriteAsync(destination,
            Identify("i2", "u1", """{"plan": "max", "seats": 3}""", "2024-05-01T11:00:00Z"),
            Track("t2", "Viewed", """{"n": 2, "new_field": "x"}""")));

        Assert.Equal([["u1", "max", "3"]], await bed.RowsAsync("SELECT id, plan, seats::text FROM web.users"));
        Assert.Equal([["t1", null], ["t2", "x"]], await bed.RowsAsync("SELECT id, new_field FROM web.viewed ORDER BY id"));
        Assert.Equal(loader, await bed.ScalarAsync<string>("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'web'"));
    }

    [Fact]
    public async Task Missing_privileges_on_an_existing_schema_or_its_tables_fail_with_the_grant_to_apply()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(Missing_privileges_on_an_existing_schema_or_its_tables_fail_with_the_grant_to_apply));
        AssertOk(await bed.WriteAsync(Track("t1", "Viewed", """{"n": 1}""")));
        var user = $"guest_{Environment.ProcessId}";
        await bed.ExecuteAsync($"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{user}') THEN CREATE ROLE {user} LOGIN; END IF; END $$");
        var destination = bed.CreateDestination(user: user);

        var schema = await Assert.ThrowsAsync<SluiceException>(() => destination.CheckAsync(CancellationToken.None));
        Assert.Equal(ErrorClass.Fatal, schema.Class);
        Assert.Contains($"GRANT USAGE, CREATE ON SCHEMA \"web\" TO \"{user}\";", schema.Message, StringComparison.Ordinal);

        await bed.ExecuteAsync($"GRANT USAGE, CREATE ON SCHEMA web TO {user}");
        await destination.CheckAsync(CancellationToken.None);
        var table = await Assert.ThrowsAsync<SluiceException>(() => WarehouseBed.WriteAsync(destination, Track("t2", "Viewed", """{"n": 2}""")));
        Assert.Equal(ErrorClass.Fatal, table.Class);
        Assert.Contains($"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA \"web\" TO \"{user}\";", table.Message, StringComparison.Ordinal);

        var column = await Assert.ThrowsAsync<SluiceException>(() => WarehouseBed.WriteAsync(destination, Track("t3", "Viewed", """{"n": 3, "fresh": 1}""")));
        Assert.Contains($"ALTER TABLE \"web\".\"viewed\" OWNER TO \"{user}\";", column.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_column_waits_a_bounded_time_for_a_user_transaction_then_fails_as_transient_and_loads_once_it_ends()
    {
        await using var bed = await WarehouseBed.CreateAsync(
            nameof(A_new_column_waits_a_bounded_time_for_a_user_transaction_then_fails_as_transient_and_loads_once_it_ends), ddlLockTimeout: TimeSpan.FromMilliseconds(100));
        AssertOk(await bed.WriteAsync(Track("t1", "Viewed", """{"n": 1}""")));

        await using (var user = await bed.Admin.OpenConnectionAsync())
        await using (var transaction = await user.BeginTransactionAsync())
        {
            // A long-running report: it holds ACCESS SHARE on viewed until it ends, which ALTER TABLE must wait for.
            await using (var report = new Npgsql.NpgsqlCommand("SELECT count(*) FROM web.viewed", user, transaction))
            {
                await report.ExecuteScalarAsync();
            }

            var error = await Assert.ThrowsAsync<SluiceException>(() => bed.WriteAsync(Track("t2", "Viewed", """{"n": 2, "fresh": true}""")));

            Assert.Equal(ErrorClass.Transient, error.Class);
            Assert.Contains("lock", error.Message, StringComparison.Ordinal);
            // Events that need no DDL still load while the report runs.
            AssertOk(await bed.WriteAsync(Track("t3", "Viewed", """{"n": 3}""")));
        }

        AssertOk(await bed.WriteAsync(Track("t2", "Viewed", """{"n": 2, "fresh": true}""")));
        Assert.Equal([["t1", null], ["t2", "True"], ["t3", null]], await bed.RowsAsync("SELECT id, fresh FROM web.viewed ORDER BY id"));
    }

    [Fact]
    public async Task A_table_a_user_dropped_is_created_again()
    {
        await using var bed = await WarehouseBed.CreateAsync(nameof(A_table_a_user_dropped_is_created_again));
        AssertOk(await bed.WriteAsync(Track("t1", "Viewed", """{"n": 1}""")));
        await bed.ExecuteAsync("DROP TABLE web.viewed");

        AssertOk(await bed.WriteAsync(Track("t2", "Viewed", """{"n": 2}""")));

        Assert.Equal([["t2"]], await bed.RowsAsync("SELECT id FROM web.viewed"));
    }

    private static void AssertOk(IReadOnlyList<WriteResult> results) =>
        Assert.All(results, r => Assert.True(r.Status == WriteStatus.Ok, r.Reason));

    private static string Identify(string id, string userId, string traits, string receivedAt) =>
        Event(id, "identify", $$""" "traits": {{traits}} """, receivedAt, userId: userId);

    private static string Track(string id, string name, string properties, string receivedAt = "2024-05-01T10:00:05Z", string context = Context) =>
        Event(id, "track", $$""" "event": {{JsonSerializer.Serialize(name)}}, "properties": {{properties}} """, receivedAt, context);

    private static string Event(string id, string type, string fields, string receivedAt = "2024-05-01T10:00:05Z", string context = Context, string userId = "u1") =>
        $$"""{"type": "{{type}}", "messageId": "{{id}}", "userId": "{{userId}}", "receivedAt": "{{receivedAt}}", "timestamp": "{{receivedAt}}", "context": {{context}}, {{fields}}}""";

    private static async Task<List<(string Schema, string Name)>> Relations(WarehouseBed bed) =>
        (await bed.RowsAsync("""
            SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1, 2
            """)).Select(r => (r[0]!, r[1]!)).ToList();
}
