using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Postgres.Destinations.Records;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Records;

/// <summary>A records export's config: what it accepts, and each mistake named at its key with the fix.</summary>
public sealed class RecordsOptionsTests
{
    [Fact]
    public void A_key_selects_the_records_export_with_its_mode_groups_and_the_deletes_sync_mode_asks_for()
    {
        var sync = Load("mode: sync\ngroups: {table: crm.groups, foreign_key: customer_id, name_column: name, define: {big: \"lifetime_value >= 10 OR NOT email IS NULL\"}, from: tags}");

        var options = RecordsDestinationOptions.Bind(sync, new PostgresConnectionOptions { Name = "wh", Database = "wh" });

        Assert.Equal(("public", "customers", "id", RecordsMode.Sync), (options.Schema, options.Table, options.Key, options.Mode));
        Assert.Equal(("crm", "groups", "tags"), (options.Groups!.Schema, options.Groups.Table, options.Groups.From));
        Assert.Equal(["id", "email", "lifetime_value"], options.Columns);
        Assert.Equal(ChangeKinds.AddedOrChanged | ChangeKinds.Deleted, SyncOptions.Bind(sync).On);
    }

    [Theory]
    [InlineData("mode: mirror", "destination.mode", "unknown mode")]
    [InlineData("groups: {table: g, foreign_key: k, name_column: n, define: {big: \"lifetime > 10\"}}", "destination.groups.define.big", "'lifetime', which is not a mapped property")]
    [InlineData("groups: {table: g, foreign_key: k, name_column: n, define: {big: \"lifetime_value > \"}}", "destination.groups.define.big", "cannot be read")]
    [InlineData("groups: {table: g, foreign_key: k, name_column: n, define: {big: \"lifetime_value > 1; DROP TABLE x\"}}", "destination.groups.define.big", "cannot be read")]
    [InlineData("groups: {table: g, foreign_key: k, name_column: n}", "destination.groups", "defines no group")]
    public void A_mistake_is_named_at_its_key(string yaml, string key, string problem)
    {
        var error = Assert.Throws<ConfigException>(() => RecordsDestinationOptions.Bind(Load(yaml), new PostgresConnectionOptions { Name = "wh", Database = "wh" }));

        Assert.EndsWith(key, error.Location!.KeyPath, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unmapped_key_column_is_refused()
    {
        var error = Assert.Throws<ConfigException>(() => RecordsDestinationOptions.Bind(Load("", mapping: "{email: email}"), new PostgresConnectionOptions { Name = "wh", Database = "wh" }));

        Assert.Contains("does not map the key column 'id'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Conditions_follow_sql_three_valued_logic()
    {
        var condition = GroupCondition.Parse("NOT (v > 10) AND name IN ('a', 'b''c') OR v IS NULL", RecordsBed.Here, ["v", "name"]);
        bool Holds(object? v, object? name) => condition.Holds(p => p == "v" ? v : name);

        Assert.True(Holds(5L, "b'c"));
        Assert.False(Holds(50L, "a"));
        Assert.False(Holds(5L, null)); // NULL IN (…) is unknown
        Assert.True(Holds(null, "zzz"));
        Assert.True(GroupCondition.Parse("v <> 1.5 AND v >= -2", RecordsBed.Here, ["v"]).Holds(_ => 3m));
    }

    [Fact]
    public async Task A_mapped_column_the_table_lacks_is_refused_at_its_mapping_key()
    {
        var bed = new RecordsBed(await TestPostgres.CreateDataSourceAsync(nameof(A_mapped_column_the_table_lacks_is_refused_at_its_mapping_key)))
        {
            Columns = ("id", "email", "lifetime_value", "plann"),
        };
        await TestSql.ExecuteAsync(bed.Db, "CREATE TABLE customers (id bigint PRIMARY KEY, email text, lifetime_value numeric, plan text)");
        await using var destination = bed.Destination(RecordsMode.Additive);

        var shape = await DestinationShapes.ResolveAsync(destination, CancellationToken.None);
        var error = Assert.Throws<ConfigException>(() => CompiledMapping.Compile(bed.Mapping, RecordsBed.Schema, shape));

        Assert.Contains("'plann' is not something the records table public.customers accepts", error.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'plan'", error.Fix, StringComparison.Ordinal);
        await bed.Db.DisposeAsync();
    }

    [Fact]
    public async Task Check_of_a_missing_table_prints_its_create_table_typed_from_the_mapping()
    {
        var bed = new RecordsBed(await TestPostgres.CreateDataSourceAsync(nameof(Check_of_a_missing_table_prints_its_create_table_typed_from_the_mapping)));
        await using var destination = bed.Destination(RecordsMode.Sync);
        var mapping = CompiledMapping.Compile(bed.Mapping, RecordsBed.Schema, await DestinationShapes.ResolveAsync(destination, CancellationToken.None));

        var error = await Assert.ThrowsAsync<SluiceException>(() => destination.CheckMappingAsync(mapping, CancellationToken.None));

        Assert.Equal(ErrorClass.Config, error.Class);
        Assert.Contains("CREATE TABLE \"public\".\"customers\" (\"id\" bigint PRIMARY KEY, \"email\" text, \"lifetime_value\" numeric, \"plan\" text);", error.Message, StringComparison.Ordinal);
        await bed.Db.DisposeAsync();
    }

    private static SyncConfig Load(string destinationYaml, string mapping = "{id: id, email: email, lifetime_value: ltv}")
    {
        var indented = string.Join('\n', destinationYaml.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "      " + l));
        var yaml = $"""
            connections:
              app: {"{"}type: postgres, database: app{"}"}
              wh: {"{"}type: postgres, database: wh{"}"}
            syncs:
              customers:
                source: {"{"}connection: app, table: customers{"}"}
                destination:
                  connection: wh
                  table: customers
                  key: id
            {indented}
                mapping: {mapping}
            """;
        return SluiceConfig.Parse(yaml, "sluice.yaml", new Dictionary<string, string>()).Syncs.Single();
    }
}
