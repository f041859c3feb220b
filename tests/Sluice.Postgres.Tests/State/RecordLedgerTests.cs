using System.Runtime.CompilerServices;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.State;
using Sluice.State;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.State;

/// <summary>The record ledger as stored: its format (golden file), lookups by key, and what retention removes.</summary>
public sealed class RecordLedgerTests
{
    [Fact]
    public async Task A_ledger_entry_is_stored_in_the_format_of_the_golden_file()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_ledger_entry_is_stored_in_the_format_of_the_golden_file));
        await CommitAsync(db, "users",
            new RecordState("a", [0xAB, 0xCD]) { Values = new Dictionary<string, string?> { ["status"] = "trial", ["plan"] = null }, Status = RecordStatus.Sent, DestinationId = "001xx000003DGb2AAG", Origin = "users" },
            new RecordState("b", null) { Status = RecordStatus.DeadLettered, Origin = "users" },
            new RecordState("c", null) { Status = RecordStatus.LeftOut, Origin = "other_sync", SkipReason = "lookup: no match in app for email 'c@example.com'" },
            new RecordState("d", null) { Status = RecordStatus.Quarantined, Origin = "users" },
            new RecordState("e", null) { Status = RecordStatus.Waiting, Origin = "users" });

        var columns = await ScalarAsync(db,
            "SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable, E'\\n' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'sluice' AND table_name = 'record_state'");
        var rows = await ScalarAsync(db,
            "SELECT string_agg(concat_ws(' | ', record_key, coalesce(encode(fingerprint, 'hex'), 'NULL'), coalesce(watched_values::text, 'NULL'), status, coalesce(destination_id, 'NULL'), origin, run_id, coalesce(skip_reason, 'NULL')), E'\\n' ORDER BY record_key) FROM sluice.record_state");
        var stored = $"-- columns\n{columns}\n-- rows\n{rows}\n";

        Assert.Equal(await File.ReadAllTextAsync(GoldenPath("record_state.v21.txt")), stored);
        // The format only grows: every column of the earlier versions is still there, in its place.
        foreach (var earlier in new[] { "record_state.v10.txt", "record_state.v14.txt" })
        {
            var kept = (await File.ReadAllLinesAsync(GoldenPath(earlier))).TakeWhile(l => l != "-- rows").ToList();
            Assert.Equal(kept, (await File.ReadAllLinesAsync(GoldenPath("record_state.v21.txt"))).Take(kept.Count));
        }
    }

    [Fact]
    public async Task A_lookup_finds_a_batch_of_keys_in_one_query_with_their_destination_ids()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_lookup_finds_a_batch_of_keys_in_one_query_with_their_destination_ids));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("users", default))!;
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        await lease.CommitBatchAsync(new BatchCommit(run, 0, [], [], new Checkpoint("t", 1, "1"), 3)
        {
            RecordStates =
            [
                new RecordState("1", null) { Status = RecordStatus.Sent, DestinationId = "D-1", Origin = "users" },
                new RecordState("2", [7]) { Status = RecordStatus.LeftOut, Origin = "users" },
                new RecordState("3", null) { Status = RecordStatus.Sent, DestinationId = "D-3", Origin = "users" },
            ],
        }, default);
        // A later version refused: the record is still at the destination under its id, so the id stays.
        await lease.CommitBatchAsync(new BatchCommit(run, 1, [], [], new Checkpoint("t", 1, "2"), 1)
        {
            RecordStates = [new RecordState("3", null) { Status = RecordStatus.DeadLettered, Origin = "users" }],
        }, default);

        var found = await lease.RecordLookup.FindAsync(["1", "3", "2", "1", "missing"], default);

        Assert.Equal(["1", "2", "3"], found.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("D-1", RecordStatus.Sent, "users", run), (found["1"].DestinationId, found["1"].Status, found["1"].Origin, found["1"].RunId));
        Assert.Equal(("D-3", RecordStatus.DeadLettered), (found["3"].DestinationId, found["3"].Status));
        Assert.Equal([7], found["2"].Fingerprint);

        // The ordered stream a diff merges with holds only entries with a fingerprint.
        var streamed = new List<string>();
        await foreach (var state in lease.RecordStates.ReadAsync(default))
        {
            streamed.Add(state.Key);
        }

        Assert.Equal(["2"], streamed);
    }

    [Fact]
    public async Task A_batch_holding_a_key_twice_stores_its_last_entry()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_batch_holding_a_key_twice_stores_its_last_entry));
        await CommitAsync(db, "users",
            new RecordState("1", null) { Status = RecordStatus.Sent, DestinationId = "D-old", Origin = "users" },
            new RecordState("1", null) { Status = RecordStatus.Sent, DestinationId = "D-new", Origin = "users" },
            new RecordState("2", [1]) { Status = RecordStatus.Sent, Origin = "users" },
            RecordState.Forget("2"));

        Assert.Equal("1 D-new", await ScalarAsync(db, "SELECT string_agg(record_key || ' ' || destination_id, ',') FROM sluice.record_state"));
    }

    [Fact]
    public async Task New_entries_are_inserted_and_stored_ones_updated_whichever_a_commit_holds_and_wherever_a_stored_key_falls()
    {
        // A commit of only new keys takes a plain insert; a commit holding a stored key anywhere takes the upsert, and
        // several batches in one transaction see each other's entries.
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(New_entries_are_inserted_and_stored_ones_updated_whichever_a_commit_holds_and_wherever_a_stored_key_falls));
        var store = await PostgresStateStore.OpenAsync(db);
        await using (var other = (await store.TryAcquireAsync("other", default))!)
        {
            // Another sync's entry under the same key is not this sync's.
            await other.LoadCheckpointAsync(default);
            var otherRun = await other.StartRunAsync(RunKind.Incremental, default);
            await other.CommitBatchAsync(new BatchCommit(otherRun, 0, [], [], new Checkpoint("t", 1, "1"), 1)
            {
                RecordStates = [new RecordState("k1", null) { Status = RecordStatus.Sent, DestinationId = "OTHER", Origin = "other" }],
            }, default);
        }

        await using var lease = (await store.TryAcquireAsync("users", default))!;
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        var first = Enumerable.Range(1, 500).Select(i => new RecordState($"k{i}", null) { Status = RecordStatus.Sent, DestinationId = $"D-{i}", Origin = "users" }).ToList();
        await lease.CommitBatchAsync(new BatchCommit(run, 0, [], [], new Checkpoint("t", 1, "1"), first.Count) { RecordStates = first }, default);

        // New keys, then one stored key last (refused now: its id stays); a second batch in the same transaction
        // updates a key the first of the two inserted.
        var second = Enumerable.Range(501, 300).Select(i => new RecordState($"k{i}", null) { Status = RecordStatus.Sent, DestinationId = $"D-{i}", Origin = "users" })
            .Append(new RecordState("k500", null) { Status = RecordStatus.DeadLettered, Origin = "users" }).ToList();
        var third = new List<RecordState> { new("k800", null) { Status = RecordStatus.Sent, DestinationId = "D-800b", Origin = "users" }, new("k801", null) { Status = RecordStatus.Sent, DestinationId = "D-801", Origin = "users" } };
        await lease.CommitBatchesAsync(
        [
            new BatchCommit(run, 1, [], [], new Checkpoint("t", 1, "2"), second.Count) { RecordStates = second },
            new BatchCommit(run, 2, [], [], new Checkpoint("t", 1, "3"), third.Count) { RecordStates = third },
        ], default);

        var found = await lease.RecordLookup.FindAsync(["k1", "k499", "k500", "k650", "k800", "k801"], default);
        Assert.Equal(801L, await ScalarAsync(db, "SELECT count(*) FROM sluice.record_state WHERE origin = 'users'"));
        Assert.Equal(("D-1", RecordStatus.Sent), (found["k1"].DestinationId, found["k1"].Status));
        Assert.Equal(("D-500", RecordStatus.DeadLettered), (found["k500"].DestinationId, found["k500"].Status));
        Assert.Equal(("D-650", "D-800b", "D-801"), (found["k650"].DestinationId, found["k800"].DestinationId, found["k801"].DestinationId));
        Assert.Equal("OTHER", await ScalarAsync(db, "SELECT destination_id FROM sluice.record_state WHERE origin = 'other'"));
    }

    [Fact]
    public async Task A_first_load_copies_its_entries_and_a_stored_key_or_a_later_run_takes_the_upsert()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_first_load_copies_its_entries_and_a_stored_key_or_a_later_run_takes_the_upsert));
        var store = await PostgresStateStore.OpenAsync(db);
        // Which statement wrote each set of entries: COPY, or the upsert (WITH stored AS …).
        await using (var command = db.CreateCommand("""
            CREATE TABLE ledger_writes (id bigserial PRIMARY KEY, statement text NOT NULL);
            CREATE FUNCTION note_ledger_write() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO ledger_writes (statement) VALUES (split_part(ltrim(current_query()), ' ', 1)); RETURN NULL; END $$;
            CREATE TRIGGER note_ledger_write AFTER INSERT ON sluice.record_state FOR EACH STATEMENT EXECUTE FUNCTION note_ledger_write();
            """))
        {
            await command.ExecuteNonQueryAsync();
        }

        RecordState Entry(int i, string id) => new($"k{i}", [(byte)i]) { Values = new Dictionary<string, string?> { ["orders"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }, Status = RecordStatus.Sent, DestinationId = id, Origin = "users" };
        await using (var lease = (await store.TryAcquireAsync("users", default))!)
        {
            await lease.LoadCheckpointAsync(default);
            var run = await lease.StartRunAsync(RunKind.Full, default);
            await lease.CommitBatchAsync(new BatchCommit(run, 0, [], [], new Checkpoint("t", 1, "1"), 3) { RecordStates = [Entry(1, "D-1"), Entry(2, "D-2"), Entry(3, "D-3")] }, default);
            await lease.CommitBatchAsync(new BatchCommit(run, 1, [], [], new Checkpoint("t", 1, "2"), 2) { RecordStates = [Entry(4, "D-4"), Entry(5, "D-5")] }, default);
            // A key the load already stored (a row read twice): its COPY fails, is undone, and the entries take the upsert.
            await lease.CommitBatchAsync(new BatchCommit(run, 2, [], [], new Checkpoint("t", 1, "3"), 2)
            {
                RecordStates = [Entry(6, "D-6"), new RecordState("k2", [9]) { Status = RecordStatus.DeadLettered, Origin = "users" }],
            }, default);
            await lease.CommitBatchAsync(new BatchCommit(run, 3, [], [], new Checkpoint("t", 1, "4"), 1) { RecordStates = [Entry(7, "D-7")] }, default);
        }

        await using (var lease = (await store.TryAcquireAsync("users", default))!)
        {
            // A later run: the sync has entries, so even new keys take the upsert.
            await lease.LoadCheckpointAsync(default);
            var run = await lease.StartRunAsync(RunKind.Incremental, default);
            await lease.CommitBatchAsync(new BatchCommit(run, 0, [], [], new Checkpoint("t", 1, "5"), 1) { RecordStates = [Entry(8, "D-8")] }, default);
        }

        Assert.Equal("COPY,COPY,WITH,WITH,WITH", await ScalarAsync(db, "SELECT string_agg(statement, ',' ORDER BY id) FROM ledger_writes"));
        Assert.Equal(
            "k1 01 {\"orders\": \"1\"} sent D-1,k2 09 NULL dead_lettered D-2,k3 03 {\"orders\": \"3\"} sent D-3,k4 04 {\"orders\": \"4\"} sent D-4," +
            "k5 05 {\"orders\": \"5\"} sent D-5,k6 06 {\"orders\": \"6\"} sent D-6,k7 07 {\"orders\": \"7\"} sent D-7,k8 08 {\"orders\": \"8\"} sent D-8",
            await ScalarAsync(db, "SELECT string_agg(concat_ws(' ', record_key, encode(fingerprint, 'hex'), coalesce(watched_values::text, 'NULL'), status, destination_id), ',' ORDER BY record_key) FROM sluice.record_state"));
    }

    [Fact]
    public async Task Retention_removes_only_old_entries_with_nothing_to_remember_and_replayed_dead_letters()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Retention_removes_only_old_entries_with_nothing_to_remember_and_replayed_dead_letters));
        await CommitAsync(db, "users",
            new RecordState("old-sent", null) { Status = RecordStatus.Sent, Origin = "users" },
            new RecordState("old-dead", null) { Status = RecordStatus.DeadLettered, Origin = "users" },
            new RecordState("old-with-id", null) { Status = RecordStatus.Sent, DestinationId = "D", Origin = "users" },
            new RecordState("old-diffed", [1]) { Status = RecordStatus.LeftOut, Origin = "users" },
            new RecordState("old-quarantined", null) { Status = RecordStatus.Quarantined, Origin = "users" },
            new RecordState("new-sent", null) { Status = RecordStatus.Sent, Origin = "users" });
        await ScalarAsync(db, "UPDATE sluice.record_state SET updated_at = now() - interval '40 days' WHERE record_key LIKE 'old-%'");
        await ScalarAsync(db,
            """
            INSERT INTO sluice.dead_letters (sync_id, run_id, record_key, reason, replayed_at)
            SELECT id, 1, k, 'r', r FROM sluice.syncs,
                (VALUES ('replayed-long-ago', now() - interval '40 days'), ('replayed-lately', now()), ('pending', NULL::timestamptz)) v(k, r)
            """);
        var retention = new RecordLedgerRetention(db);
        var cutoff = DateTimeOffset.UtcNow - TimeSpan.FromDays(30);

        Assert.Equal(new LedgerPruneCount(2, 1), await retention.CountAsync(cutoff, default));
        Assert.Equal(new LedgerPruneCount(2, 1), await retention.PruneAsync(cutoff, default));

        Assert.Equal("new-sent,old-diffed,old-quarantined,old-with-id", await ScalarAsync(db, "SELECT string_agg(record_key, ',' ORDER BY record_key) FROM sluice.record_state"));
        Assert.Equal("pending,replayed-lately", await ScalarAsync(db, "SELECT string_agg(record_key, ',' ORDER BY record_key) FROM sluice.dead_letters"));
    }

    [Fact]
    public async Task A_skip_reason_stored_among_the_watched_values_before_version_21_moves_to_its_own_column()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_skip_reason_stored_among_the_watched_values_before_version_21_moves_to_its_own_column));
        await CommitAsync(db, "leads",
            new RecordState("watched", [1]) { Values = new Dictionary<string, string?> { ["status"] = "open" }, Status = RecordStatus.LeftOut, Origin = "leads" },
            new RecordState("unwatched", null) { Status = RecordStatus.LeftOut, Origin = "leads" },
            new RecordState("sent", [2]) { Values = new Dictionary<string, string?> { ["status"] = "won" }, Status = RecordStatus.Sent, Origin = "leads" });
        // The ledger as version 20 left it: no column, the reason among the watched values under 'sluice.left_out'.
        await ScalarAsync(db, """
            ALTER TABLE sluice.record_state DROP COLUMN skip_reason;
            DELETE FROM sluice.schema_migrations WHERE version = 21;
            UPDATE sluice.record_state SET watched_values = watched_values || '{"sluice.left_out": "lookup: no match in app for Email ''a@x.io''"}' WHERE record_key = 'watched';
            UPDATE sluice.record_state SET watched_values = '{"sluice.left_out": "lookup: no match in app for Email ''b@x.io''"}' WHERE record_key = 'unwatched';
            """);

        await PostgresStateStore.OpenAsync(db);

        Assert.Equal(
            "sent | {\"status\": \"won\"} | NULL\n" +
            "unwatched | NULL | lookup: no match in app for Email 'b@x.io'\n" +
            "watched | {\"status\": \"open\"} | lookup: no match in app for Email 'a@x.io'",
            await ScalarAsync(db, "SELECT string_agg(concat_ws(' | ', record_key, coalesce(watched_values::text, 'NULL'), coalesce(skip_reason, 'NULL')), E'\\n' ORDER BY record_key) FROM sluice.record_state"));
    }

    private static async Task CommitAsync(NpgsqlDataSource db, string sync, params RecordState[] states)
    {
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync(sync, default))!;
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        await lease.CommitBatchAsync(new BatchCommit(run, 0, [], [], new Checkpoint("t", 1, "1"), states.Length) { RecordStates = states }, default);
    }

    private static async Task<object?> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }

    private static string GoldenPath(string name, [CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "Golden", name);
}
