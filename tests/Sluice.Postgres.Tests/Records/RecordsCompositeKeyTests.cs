using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Postgres.Destinations.Records;
using Sluice.Testing;
using Sluice.Testing.Doubles;

namespace Sluice.Postgres.Tests.Records;

/// <summary>
/// A records table keyed by several columns (<c>key: [tenant_id, id]</c>) in sync, additive and enrich modes: rows are
/// matched on every key column, and a deleted record's row is found from its key (the source's key values in order).
/// </summary>
public sealed class RecordsCompositeKeyTests : IAsyncLifetime
{
    private static readonly SourceSchema Schema = new("source accounts",
    [
        new SourceColumn("tenant_id", "text", ColumnType.Text, false),
        new SourceColumn("id", "bigint", ColumnType.Integer, false),
        new SourceColumn("email", "text", ColumnType.Text, true),
    ], ["tenant_id", "id"]);

    private NpgsqlDataSource _db = null!;
    private int _position;

    public async Task InitializeAsync()
    {
        _db = await TestPostgres.CreateDataSourceAsync(nameof(RecordsCompositeKeyTests));
        await TestSql.ExecuteAsync(_db, "CREATE TABLE accounts (tenant_id text NOT NULL, id bigint NOT NULL, email text, PRIMARY KEY (tenant_id, id))");
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Sync_mode_keeps_one_row_per_tenant_and_id_updates_it_on_both_columns_and_deletes_exactly_it()
    {
        await using var destination = Destination(RecordsMode.Sync);
        await WriteAsync(destination, Upsert("acme", 1, "a@acme"), Upsert("bolt", 1, "a@bolt"), Upsert("acme", 2, "b@acme"));

        var results = await WriteAsync(destination, Upsert("bolt", 1, "new@bolt"), Delete("acme", 1));

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(["(acme,2,b@acme)", "(bolt,1,new@bolt)"], await RowsAsync());
    }

    [Fact]
    public async Task Additive_mode_updates_by_both_columns_and_never_deletes()
    {
        await using var destination = Destination(RecordsMode.Additive);
        await WriteAsync(destination, Upsert("acme", 1, "a@acme"), Upsert("bolt", 1, "a@bolt"));

        await WriteAsync(destination, Upsert("acme", 1, "new@acme"), Delete("bolt", 1));

        Assert.False(destination.Sends(Delete("bolt", 1)));
        Assert.Equal(["(acme,1,new@acme)", "(bolt,1,a@bolt)"], await RowsAsync());
    }

    [Fact]
    public async Task Enrich_mode_updates_the_row_with_both_columns_and_leaves_out_a_record_without_one()
    {
        await TestSql.ExecuteAsync(_db, "INSERT INTO accounts VALUES ('acme', 1, 'old@acme')");
        await using var destination = Destination(RecordsMode.Enrich);

        var results = await WriteAsync(destination, Upsert("acme", 1, "new@acme"), Upsert("bolt", 1, "a@bolt"));

        Assert.Equal(["(acme,1,new@acme)"], await RowsAsync());
        Assert.False(results[0].LeftOut);
        Assert.True(results[1].LeftOut);
        Assert.Equal("""left out: enrich mode, no existing row with (tenant_id, id) = ["bolt","1"] in public.accounts""", results[1].Reason);
    }

    [Fact]
    public async Task Check_asks_for_the_unique_key_on_every_key_column()
    {
        await TestSql.ExecuteAsync(_db, "CREATE TABLE loose (tenant_id text, id bigint, email text)");
        await using var destination = Destination(RecordsMode.Sync, table: "loose");

        var error = await Assert.ThrowsAsync<Sluice.Core.Errors.SluiceException>(() => destination.CheckAsync(CancellationToken.None));

        Assert.Contains("ALTER TABLE \"public\".\"loose\" ADD UNIQUE (\"tenant_id\", \"id\")", error.Message, StringComparison.Ordinal);
        Assert.Contains("rows cannot be matched to records", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("additive")]
    [InlineData("enrich")]
    public void A_composite_key_is_accepted_in_each_mode_and_groups_with_it_are_a_config_error_naming_the_key(string mode)
    {
        var options = RecordsDestinationOptions.Bind(Load($"mode: {mode}"), new PostgresConnectionOptions { Name = "wh", Database = "wh" });
        Assert.Equal(["tenant_id", "id"], options.KeyColumns);
        Assert.True(options.IsComposite);

        var error = Assert.Throws<ConfigException>(() => RecordsDestinationOptions.Bind(
            Load($"mode: {mode}\ngroups: {{table: account_groups, foreign_key: account_id, name_column: name, define: {{gmail: \"email = 'x'\"}}}}"),
            new PostgresConnectionOptions { Name = "wh", Database = "wh" }));
        Assert.EndsWith("destination.groups", error.Location!.KeyPath, StringComparison.Ordinal);
        Assert.Contains("the key is 2 columns (tenant_id, id)", error.Message, StringComparison.Ordinal);
        Assert.Contains("one-column key", error.Fix, StringComparison.Ordinal);
    }

    private RecordsDestination Destination(RecordsMode mode, string table = "accounts") =>
        new("accounts_sync", _db, new PostgresConnectionOptions { Name = "wh", Database = "test", User = "postgres" }, new RecordsDestinationOptions
        {
            Schema = "public",
            Table = table,
            Key = "tenant_id",
            KeyColumns = ["tenant_id", "id"],
            Mode = mode,
            Columns = ["tenant_id", "id", "email"],
        });

    /// <summary>A record keyed as a table or query source keys it by two columns: a JSON array of their text.</summary>
    private Change Upsert(string tenant, long id, string? email) =>
        new($"[\"{tenant}\",\"{id}\"]", ChangeOperation.Upsert, [tenant, id, email], new TestPosition(++_position)) { Kind = ChangeKinds.None };

    private Change Delete(string tenant, long id) =>
        new($"[\"{tenant}\",\"{id}\"]", ChangeOperation.Delete, [null, null, null], new TestPosition(++_position)) { Kind = ChangeKinds.Deleted };

    private async Task<IReadOnlyList<WriteResult>> WriteAsync(IDestination destination, params Change[] changes)
    {
        var here = RecordsBed.Here;
        var spec = new MappingSpec([new FieldSpec("tenant_id", "tenant_id", null, here), new FieldSpec("id", "id", null, here), new FieldSpec("email", "email", null, here)], here);
        var mapping = CompiledMapping.Compile(spec, Schema, await DestinationShapes.ResolveAsync(destination, CancellationToken.None));
        return await destination.WriteAsync(changes.Where(destination.Sends).Select(c => destination.Encode(c, mapping)).ToList(), CancellationToken.None);
    }

    private async Task<List<string>> RowsAsync()
    {
        var rows = new List<string>();
        await using var command = _db.CreateCommand("SELECT a::text FROM accounts a ORDER BY 1");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    private static SyncConfig Load(string destinationYaml)
    {
        var indented = string.Join('\n', destinationYaml.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "      " + l));
        var yaml = $"""
            connections:
              app: {"{"}type: postgres, database: app{"}"}
              wh: {"{"}type: postgres, database: wh{"}"}
            syncs:
              accounts:
                source: {"{"}connection: app, query: "SELECT tenant_id, id, email FROM accounts", key: [tenant_id, id]{"}"}
                destination:
                  connection: wh
                  table: accounts
                  key: [tenant_id, id]
            {indented}
                mapping: {"{"}tenant_id: tenant_id, id: id, email: email{"}"}
            """;
        return SluiceConfig.Parse(yaml, "sluice.yaml", new Dictionary<string, string>()).Syncs.Single();
    }
}
