using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Postgres.Destinations.Records;
using Sluice.Testing;
using Sluice.Testing.Doubles;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Records;

/// <summary>
/// The records export as the Salesforce → PostgreSQL table (issue 13): keyed by a text id (Salesforce's 18-character Id,
/// exact text), append-only into an immutable audit table (a replay appends nothing, a new version one row), and
/// deletes as soft deletes (<c>deleted_at</c> set, cleared when the record comes back).
/// </summary>
public sealed class RecordsAppendAndSoftDeleteTests
{
    private static readonly ConfigLocation Here = RecordsBed.Here;

    /// <summary>A Salesforce object's records as a source reads them: Id, SystemModstamp, Subject, Amount.</summary>
    private static readonly SourceSchema Schema = new("source Task",
    [
        new SourceColumn("Id", "text", ColumnType.Text, false),
        new SourceColumn("SystemModstamp", "timestamptz", ColumnType.TimestampWithTimeZone, false),
        new SourceColumn("Subject", "text", ColumnType.Text, true),
        new SourceColumn("Amount", "numeric", ColumnType.Decimal, true),
    ], ["Id"]);

    private static readonly MappingSpec Mapping = new(
    [
        new FieldSpec("id", "Id", null, Here), new FieldSpec("system_modstamp", "SystemModstamp", null, Here),
        new FieldSpec("subject", "Subject", null, Here), new FieldSpec("amount", "Amount", null, Here),
    ], Here);

    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private int _position;

    [Fact]
    public async Task A_text_key_such_as_a_salesforce_id_is_upserted_and_deleted_by_its_exact_text()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("records_text_key");
        await ExecuteAsync(db, "CREATE TABLE sf_opportunities (id text PRIMARY KEY, system_modstamp timestamptz, subject text, amount numeric)");
        await using var destination = Destination(db, "sf_opportunities", ["id"], RecordsMode.Sync);
        // Two Ids that differ only in case are two records (15-character Salesforce Ids are case-sensitive).
        const string A = "0065g00000AbCdEAAZ", B = "0065g00000AbCdeAAZ";

        var first = await WriteAsync(destination, Upsert(A, T0, "Renewal", 100m), Upsert(B, T0, "New", 5m));
        await WriteAsync(destination, Upsert(A, T0.AddMinutes(1), "Renewal", 150m), Delete(B));

        Assert.Equal([A, B], first.Select(r => r.DestinationId));
        Assert.Equal([$"({A},\"2026-12-01 10:01:00+00\",Renewal,150)"], await RowsAsync(db, "sf_opportunities"));
    }

    [Fact]
    public async Task Append_only_appends_each_new_version_once_never_updates_and_a_replay_is_a_no_op()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("records_append");
        await ExecuteAsync(db, "CREATE TABLE task_audit (id text NOT NULL, system_modstamp timestamptz NOT NULL, subject text, amount numeric, PRIMARY KEY (id, system_modstamp))");
        await using var destination = Destination(db, "task_audit", ["id", "system_modstamp"], RecordsMode.Append);
        Change[] batch = [Upsert("00T1", T0, "Call", null), Upsert("00T2", T0, "Email", null)];

        await WriteAsync(destination, batch);
        var versions = await VersionsAsync(db);
        var replay = await WriteAsync(destination, batch);

        Assert.All(replay, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(versions, await VersionsAsync(db)); // nothing appended, nothing rewritten

        // A new version of 00T1 (and two of 00T3 in one batch) append rows; the old version stays as it was.
        await WriteAsync(destination, Upsert("00T1", T0.AddMinutes(5), "Call (done)", 1m), Upsert("00T3", T0, "Meeting", null), Upsert("00T3", T0.AddSeconds(1), "Meeting moved", null));

        Assert.Equal(
        [
            "(00T1,\"2026-12-01 10:00:00+00\",Call,)", "(00T1,\"2026-12-01 10:05:00+00\",\"Call (done)\",1)", "(00T2,\"2026-12-01 10:00:00+00\",Email,)",
            "(00T3,\"2026-12-01 10:00:00+00\",Meeting,)", "(00T3,\"2026-12-01 10:00:01+00\",\"Meeting moved\",)",
        ], await RowsAsync(db, "task_audit"));
        var after = await VersionsAsync(db);
        Assert.All(versions, v => Assert.Equal(v.Value, after[v.Key]));

        // Never deletes: a delete is not even sent.
        Assert.False(destination.Sends(Delete("00T1")));
        Assert.False(destination.AcceptsDeletes);
    }

    [Fact]
    public async Task Soft_deletes_set_deleted_at_once_and_a_record_that_comes_back_clears_it()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("records_soft_delete");
        await ExecuteAsync(db, "CREATE TABLE sf_opportunities (id text PRIMARY KEY, system_modstamp timestamptz, subject text, amount numeric, deleted_at timestamptz)");
        await using var destination = Destination(db, "sf_opportunities", ["id"], RecordsMode.Sync, softDelete: true);
        await WriteAsync(destination, Upsert("0061", T0, "One", 1m), Upsert("0062", T0, "Two", 2m));
        var untouched = await ScalarAsync(db, "SELECT xmin::text FROM sf_opportunities WHERE id = '0061'");

        await WriteAsync(destination, Delete("0062"));
        var deletedAt = await ScalarAsync(db, "SELECT deleted_at FROM sf_opportunities WHERE id = '0062'");
        await WriteAsync(destination, Delete("0062")); // a replay keeps the first deletion's time

        Assert.IsType<DateTime>(deletedAt);
        Assert.Equal(deletedAt, await ScalarAsync(db, "SELECT deleted_at FROM sf_opportunities WHERE id = '0062'"));
        Assert.Equal(2L, await ScalarAsync(db, "SELECT count(*) FROM sf_opportunities"));
        Assert.Equal(DBNull.Value, await ScalarAsync(db, "SELECT deleted_at FROM sf_opportunities WHERE id = '0061'"));

        // Undeleted in Salesforce, with the same values: the row is live again.
        await WriteAsync(destination, Upsert("0062", T0, "Two", 2m));

        Assert.Equal(DBNull.Value, await ScalarAsync(db, "SELECT deleted_at FROM sf_opportunities WHERE id = '0062'"));
        Assert.Equal(untouched, await ScalarAsync(db, "SELECT xmin::text FROM sf_opportunities WHERE id = '0061'"));
    }

    [Fact]
    public async Task Check_names_the_unique_key_an_append_only_table_needs_and_the_deleted_at_column_soft_deletes_need()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("records_append_check");
        await ExecuteAsync(db, """
            CREATE TABLE task_audit (id text NOT NULL, system_modstamp timestamptz NOT NULL, subject text, amount numeric, PRIMARY KEY (id));
            CREATE TABLE sf_opportunities (id text PRIMARY KEY, system_modstamp timestamptz, subject text, amount numeric);
            """);
        await using var append = Destination(db, "task_audit", ["id", "system_modstamp"], RecordsMode.Append);
        await using var soft = Destination(db, "sf_opportunities", ["id"], RecordsMode.Sync, softDelete: true);

        var noKey = await Assert.ThrowsAsync<SluiceException>(() => CheckAsync(append));
        var noColumn = await Assert.ThrowsAsync<SluiceException>(() => CheckAsync(soft));

        Assert.Contains("ALTER TABLE \"public\".\"task_audit\" ADD UNIQUE (\"id\", \"system_modstamp\");", noKey.Message, StringComparison.Ordinal);
        Assert.Contains("ALTER TABLE \"public\".\"sf_opportunities\" ADD COLUMN \"deleted_at\" timestamptz;", noColumn.Message, StringComparison.Ordinal);

        await ExecuteAsync(db, "ALTER TABLE task_audit DROP CONSTRAINT task_audit_pkey; ALTER TABLE task_audit ADD UNIQUE (system_modstamp, id); ALTER TABLE sf_opportunities ADD COLUMN deleted_at timestamptz");
        await CheckAsync(append);
        await CheckAsync(soft);
    }

    [Theory]
    [InlineData("key: [id, system_modstamp]\n      groups: {table: g, foreign_key: k, name_column: n, define: {big: \"amount > 1\"}}", "destination.groups", "the key is 2 columns (id, system_modstamp)")]
    [InlineData("key: id\n      mode: additive\n      deletes: soft", "destination.deletes", "only mode: sync deletes")]
    [InlineData("key: id\n      mode: sync\n      deletes: hide", "destination.deletes", "unknown deletes")]
    [InlineData("key: [id, system_modstamp]\n      mode: append\n      groups: {table: g, foreign_key: k, name_column: n, define: {big: \"amount > 1\"}}", "destination.groups", "append-only")]
    public void A_mistake_in_append_or_soft_delete_options_is_named_at_its_key(string yaml, string key, string problem)
    {
        var error = Assert.Throws<ConfigException>(() => RecordsDestinationOptions.Bind(Load(yaml), new PostgresConnectionOptions { Name = "wh", Database = "wh" }));

        Assert.EndsWith(key, error.Location!.KeyPath, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Append_mode_takes_a_key_of_several_columns_and_soft_deletes_a_column_of_their_own()
    {
        var append = RecordsDestinationOptions.Bind(Load("key: [id, system_modstamp]\n      mode: append"), new PostgresConnectionOptions { Name = "wh", Database = "wh" });
        var soft = RecordsDestinationOptions.Bind(Load("key: id\n      mode: sync\n      deletes: soft\n      deleted_at: removed_at"), new PostgresConnectionOptions { Name = "wh", Database = "wh" });
        var mapped = Assert.Throws<ConfigException>(() => RecordsDestinationOptions.Bind(
            Load("key: id\n      mode: sync\n      deletes: soft\n      deleted_at: subject"), new PostgresConnectionOptions { Name = "wh", Database = "wh" }));

        Assert.Equal(("id", RecordsMode.Append), (append.Key, append.Mode));
        Assert.Equal(["id", "system_modstamp"], append.KeyColumns);
        Assert.Equal("removed_at", soft.DeletedAt);
        Assert.Contains("'subject' is mapped", mapped.Message, StringComparison.Ordinal);
    }

    private static SyncConfig Load(string destinationYaml)
    {
        var yaml = $"""
            connections:
              sf: {"{"}type: postgres, database: app{"}"}
              wh: {"{"}type: postgres, database: wh{"}"}
            syncs:
              tasks:
                source: {"{"}connection: sf, table: tasks{"}"}
                destination:
                  connection: wh
                  table: task_audit
                  {destinationYaml}
                mapping: {"{"}id: Id, system_modstamp: SystemModstamp, subject: Subject, amount: Amount{"}"}
            """;
        return SluiceConfig.Parse(yaml, "sluice.yaml", new Dictionary<string, string>()).Syncs.Single();
    }

    private static RecordsDestination Destination(NpgsqlDataSource db, string table, string[] key, RecordsMode mode, bool softDelete = false) =>
        new("tasks", db, new PostgresConnectionOptions { Name = "wh", Database = "test", User = "postgres" }, new RecordsDestinationOptions
        {
            Schema = "public",
            Table = table,
            Key = key[0],
            KeyColumns = key,
            Mode = mode,
            SoftDelete = softDelete,
            Columns = ["id", "system_modstamp", "subject", "amount"],
        });

    private static async Task CheckAsync(RecordsDestination destination) =>
        await destination.CheckMappingAsync(CompiledMapping.Compile(Mapping, Schema, await DestinationShapes.ResolveAsync(destination, CancellationToken.None)), CancellationToken.None);

    private Change Upsert(string id, DateTimeOffset modstamp, string? subject, decimal? amount) =>
        new(id, ChangeOperation.Upsert, [id, modstamp, subject, amount], new TestPosition(++_position)) { Kind = ChangeKinds.None };

    private Change Delete(string id) =>
        new(id, ChangeOperation.Delete, [null, null, null, null], new TestPosition(++_position)) { Kind = ChangeKinds.Deleted };

    private static async Task<IReadOnlyList<WriteResult>> WriteAsync(IDestination destination, params Change[] changes)
    {
        var mapping = CompiledMapping.Compile(Mapping, Schema, await DestinationShapes.ResolveAsync(destination, CancellationToken.None));
        return await destination.WriteAsync(changes.Where(destination.Sends).Select(c => destination.Encode(c, mapping)).ToList(), CancellationToken.None);
    }

    private static async Task<List<string>> RowsAsync(NpgsqlDataSource db, string table)
    {
        var rows = new List<string>();
        await using var command = db.CreateCommand($"SELECT t::text FROM {table} t ORDER BY 1");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    /// <summary>Each row's key with its xmin: a row not rewritten keeps it.</summary>
    private static async Task<Dictionary<string, string>> VersionsAsync(NpgsqlDataSource db)
    {
        var versions = new Dictionary<string, string>();
        await using var command = db.CreateCommand("SELECT id || '@' || system_modstamp::text, xmin::text FROM task_audit");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            versions[reader.GetString(0)] = reader.GetString(1);
        }

        return versions;
    }
}
