using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Engine.WriteBack;
using Sluice.Core.Mapping;
using Sluice.Core.State;
using Sluice.Postgres.Sources;
using Sluice.Postgres.WriteBack;
using Sluice.State;
using Sluice.Testing;
using Sluice.Testing.Doubles;

namespace Sluice.Postgres.Tests.WriteBack;

/// <summary>
/// <c>write_back:</c> through the engine on real PostgreSQL: the ids an id-assigning destination gives records land in
/// the source's column exactly once (an AFTER UPDATE trigger logs every write of the column), in the commit's
/// transaction when the state lives in the source database and right after it, recoverably, when it does not; and the
/// write-back never comes back as a change, even with a trigger that bumps <c>updated_at</c> on every UPDATE.
/// </summary>
public sealed class WriteBackDeliveryTests
{
    private const int Rows = 300;

    private static readonly string Setup = $"""
        CREATE TABLE users (id bigint PRIMARY KEY, email text, updated_at timestamptz NOT NULL, salesforce_id text);
        CREATE TABLE id_writes (id bigint, salesforce_id text);
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at = clock_timestamp(); RETURN NEW; END $$;
        CREATE TRIGGER touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
        CREATE FUNCTION log_id() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO id_writes VALUES (NEW.id, NEW.salesforce_id); RETURN NEW; END $$;
        CREATE TRIGGER log_id AFTER UPDATE OF salesforce_id ON users FOR EACH ROW EXECUTE FUNCTION log_id();
        INSERT INTO users SELECT i, 'u' || i || '@example.com', '2024-01-01'::timestamptz + i * interval '1 second', NULL FROM generate_series(1, {Rows}) i;
        """;

    private static readonly ConfigLocation Location = new("test.yaml", 1, 1, "syncs.users.write_back");

    [Fact]
    public async Task Ids_are_written_back_once_in_the_commit_and_a_trigger_bumping_updated_at_sends_nothing_again()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("wb_same_db");
        await ExecuteAsync(db, Setup);
        var store = await PostgresStateStore.OpenAsync(db);
        var destination = new IdAssigningDestination();

        var first = await new SyncRunner(store, TimeProvider.System).RunAsync(Sync("users_ids", db, destination, WriteBackOn(db)), RunKind.Incremental, default);

        Assert.Equal(Rows, first.Acknowledged);
        await AssertEveryIdWrittenOnceAsync(db, destination);
        Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM sluice.record_state WHERE write_back_pending")); // written in the commit itself

        // The write-back's UPDATE fired the trigger: every row moved past the cursor, and the next run reads them all again.
        var second = await new SyncRunner(store, TimeProvider.System).RunAsync(Sync("users_ids", db, destination, WriteBackOn(db)), RunKind.Incremental, default);

        Assert.Equal(Rows, second.Read);
        Assert.Equal(0, second.Acknowledged);
        Assert.Equal(Rows, destination.Received.Count);

        // A real change is sent, under the id the ledger knows, and writes nothing back (the row holds that id already).
        var idOf7 = destination.IdsByKey["7"];
        await ExecuteAsync(db, "UPDATE users SET email = 'seven@example.com' WHERE id = 7");
        var third = await new SyncRunner(store, TimeProvider.System).RunAsync(Sync("users_ids", db, destination, WriteBackOn(db)), RunKind.Incremental, default);

        Assert.Equal(1, third.Acknowledged);
        var resent = Assert.Single(destination.Received.Skip(Rows));
        Assert.Equal(("7", idOf7), (resent.Key, resent.KnownId));
        Assert.Equal((long)Rows, await ScalarAsync(db, "SELECT count(*) FROM id_writes"));
        Assert.Equal(Rows, destination.Created);
    }

    [Fact]
    public async Task A_death_between_the_commit_and_a_write_back_to_another_database_is_written_back_by_the_next_run_without_sending_again()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("wb_source");
        await using var stateDb = await TestPostgres.CreateDataSourceAsync("wb_state");
        await ExecuteAsync(db, Setup);
        var store = await PostgresStateStore.OpenAsync(stateDb);
        var destination = new IdAssigningDestination();
        var dying = new DyingWriteBack(WriteBackOn(db), dieAtWrite: 3);

        await Assert.ThrowsAnyAsync<Exception>(() => new SyncRunner(store, TimeProvider.System).RunAsync(Sync("users_ids", db, destination, dying), RunKind.Incremental, default));

        Assert.True(dying.Died, "the run ended before the write-back that was to fail: the test proves nothing");
        var pending = (long)(await ScalarAsync(stateDb, "SELECT count(*) FROM sluice.record_state WHERE write_back_pending"))!;
        Assert.True(pending > 0, "no id was left pending by the death");
        var committed = (long)(await ScalarAsync(stateDb, "SELECT count(*) FROM sluice.record_state"))!;
        Assert.Equal(committed - pending, await ScalarAsync(db, "SELECT count(*) FROM id_writes")); // the pending ones are not written yet
        var pendingKeys = new List<string>();
        await using (var command = stateDb.CreateCommand("SELECT record_key FROM sluice.record_state WHERE write_back_pending"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                pendingKeys.Add(reader.GetString(0));
            }
        }

        var rerun = await new SyncRunner(store, TimeProvider.System).RunAsync(Sync("users_ids", db, destination, WriteBackOn(db)), RunKind.Incremental, default);

        // Only what the dead run had not committed is sent again; a record whose id was pending is not sent at all.
        Assert.Equal(Rows - committed, rerun.Acknowledged);
        Assert.All(pendingKeys, key => Assert.Single(destination.Received, r => r.Key == key));
        Assert.Equal(Rows, destination.Created);
        await AssertEveryIdWrittenOnceAsync(db, destination);
        Assert.Equal(0L, await ScalarAsync(stateDb, "SELECT count(*) FROM sluice.record_state WHERE write_back_pending"));
    }

    [Fact]
    public async Task A_death_between_the_acknowledgement_and_the_commit_writes_each_id_back_once()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("wb_ack_death");
        await ExecuteAsync(db, Setup);
        var store = await PostgresStateStore.OpenAsync(db);
        var destination = new IdAssigningDestination();
        var dying = new DyingCommitStore(store, dieAtBatch: 2);

        await Assert.ThrowsAnyAsync<Exception>(() => new SyncRunner(dying, TimeProvider.System).RunAsync(Sync("users_ids", db, destination, WriteBackOn(db)), RunKind.Incremental, default));
        Assert.True(dying.Died, "the run ended before the commit that was to fail: the test proves nothing");
        var written = (long)(await ScalarAsync(db, "SELECT count(*) FROM id_writes"))!;
        Assert.True(destination.Received.Count > written, "nothing was acknowledged and left uncommitted by the death");

        await new SyncRunner(store, TimeProvider.System).RunAsync(Sync("users_ids", db, destination, WriteBackOn(db)), RunKind.Incremental, default);

        // What was acknowledged but not committed is sent again under the same message id; the destination deduplicates
        // it (an upsert by external id), so it holds each record once, and each id is written back once.
        Assert.Equal(Rows, destination.Created);
        await AssertEveryIdWrittenOnceAsync(db, destination);
    }

    [Fact]
    public async Task The_destination_finds_records_it_already_holds_a_batch_at_a_time_and_later_runs_use_the_ledger()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("wb_matching");
        await ExecuteAsync(db, Setup);
        var store = await PostgresStateStore.OpenAsync(db);
        var destination = new MatchingDestination(new Dictionary<string, string> { ["1"] = "EXISTING1", ["2"] = "EXISTING2" });

        await new SyncRunner(store, TimeProvider.System).RunAsync(Sync("users_ids", db, destination, WriteBackOn(db)), RunKind.Incremental, default);

        Assert.Equal(Rows / 25, destination.MatchCalls.Count); // one lookup per batch of 25, never one per record
        Assert.All(destination.MatchCalls, keys => Assert.Equal(25, keys.Count));
        Assert.Equal("EXISTING1", destination.Received.Single(r => r.Key == "1").KnownId);
        Assert.Equal(Rows - 2, destination.Created);
        Assert.Equal("EXISTING1", await ScalarAsync(db, "SELECT salesforce_id FROM users WHERE id = 1"));

        await ExecuteAsync(db, "UPDATE users SET email = 'three@example.com' WHERE id = 3");
        var calls = destination.MatchCalls.Count;
        await new SyncRunner(store, TimeProvider.System).RunAsync(Sync("users_ids", db, destination, WriteBackOn(db)), RunKind.Incremental, default);

        Assert.Equal(calls, destination.MatchCalls.Count); // the ledger knew the id: nothing to look up
        Assert.Equal(destination.IdsByKey["3"], destination.Received[^1].KnownId);
    }

    [Fact]
    public async Task Check_names_a_missing_column_a_column_that_cannot_hold_an_id_and_a_table_without_a_key()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("wb_check");
        await ExecuteAsync(db, "CREATE TABLE users (id bigint PRIMARY KEY, sf_id text, active boolean); CREATE TABLE events (name text, sf_id text)");

        var missing = await Assert.ThrowsAsync<ConfigException>(() => WriteBack(db, "users", "salesforce_id").PrepareAsync(default));
        var unfit = await Assert.ThrowsAsync<ConfigException>(() => WriteBack(db, "users", "active").PrepareAsync(default));
        var keyless = await Assert.ThrowsAsync<ConfigException>(() => WriteBack(db, "events", "sf_id").PrepareAsync(default));
        var noTable = await Assert.ThrowsAsync<ConfigException>(() => WriteBack(db, "nowhere", "sf_id").PrepareAsync(default));

        Assert.Contains("column 'salesforce_id' does not exist in public.users", missing.Message);
        Assert.Contains("ADD COLUMN", missing.Message);
        Assert.Contains("is boolean, which cannot hold a destination's id", unfit.Message);
        Assert.Contains("has no primary key", keyless.Message);
        Assert.Contains("write_back: {key: id", keyless.Message);
        Assert.Contains("table nowhere does not exist", noTable.Message);
        Assert.All(new[] { missing, unfit, keyless, noTable }, e => Assert.Contains("test.yaml", e.Message));
        await WriteBack(db, "users", "sf_id").PrepareAsync(default);
    }

    internal static SyncDefinition Sync(string name, NpgsqlDataSource db, IDestination destination, IWriteBack writeBack)
    {
        var location = new ConfigLocation("test.yaml", 1, 1, "mapping");
        var source = new TableSource(db, new PostgresConnectionOptions { Name = "app", Database = "test" }, new TableSourceOptions { Table = "users", Cursor = "updated_at", PageSize = 40 });
        return new SyncDefinition(name, source, new MappingSpec([new FieldSpec("id", "id", null, location), new FieldSpec("email", "email", null, location)], location), destination,
            new DeliveryGate(new RateLimitOptions(), TimeProvider.System), new SyncRunOptions { BatchSize = 25 })
        {
            WriteBack = writeBack,
        };
    }

    private static PostgresWriteBack WriteBackOn(NpgsqlDataSource db) => WriteBack(db, "users", "salesforce_id");

    private static PostgresWriteBack WriteBack(NpgsqlDataSource db, string table, string column) =>
        new(db, new PostgresConnectionOptions { Name = "app", Database = "test" }, new WriteBackTarget(table, null, column, Location));

    /// <summary>Every row holds the id the destination gave it, and the column was written exactly once per row.</summary>
    private static async Task AssertEveryIdWrittenOnceAsync(NpgsqlDataSource db, IdAssigningDestination destination)
    {
        Assert.Equal($"{Rows}|{Rows}", await ScalarAsync(db, "SELECT count(*) || '|' || count(DISTINCT id) FROM id_writes"));
        var ids = destination.IdsByKey;
        await using var command = db.CreateCommand("SELECT id, salesforce_id FROM users");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            Assert.Equal(ids[reader.GetInt64(0).ToString(System.Globalization.CultureInfo.InvariantCulture)], reader.IsDBNull(1) ? null : reader.GetString(1));
        }
    }

    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }
}
