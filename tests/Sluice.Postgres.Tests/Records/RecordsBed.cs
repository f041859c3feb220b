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
/// A records table and a groups table in a database of their own, and a records destination over them, fed changes as
/// a source yields them (key, values of id, email, ltv, plan).
/// </summary>
internal sealed class RecordsBed(NpgsqlDataSource db, string schema = "public", string table = "customers", string groupsTable = "customer_groups",
    string key = "id", string foreignKey = "customer_id", string nameColumn = "group_name")
{
    public static readonly ConfigLocation Here = new("records-test.yaml", 1, 1, "syncs.records");

    public static readonly SourceSchema Schema = new("source customers",
    [
        new SourceColumn("id", "bigint", ColumnType.Integer, false),
        new SourceColumn("email", "text", ColumnType.Text, true),
        new SourceColumn("ltv", "numeric", ColumnType.Decimal, true),
        new SourceColumn("plan", "text", ColumnType.Text, true),
    ], ["id"]);

    private int _position;

    public NpgsqlDataSource Db { get; } = db;

    public string Table => SqlNames.QuoteQualified(schema, table);

    public string GroupsTable => SqlNames.QuoteQualified(schema, groupsTable);

    /// <summary>The key's column name in the table, and the other targets, as the mapping names them.</summary>
    public (string Key, string Email, string Value, string Plan) Columns { get; init; } = (key, "email", "lifetime_value", "plan");

    public async Task CreateTablesAsync()
    {
        var (k, e, v, p) = Columns;
        await TestSql.ExecuteAsync(Db, $"""
            CREATE SCHEMA IF NOT EXISTS {SqlNames.Quote(schema)};
            CREATE TABLE {Table} ({SqlNames.Quote(k)} bigint PRIMARY KEY, {SqlNames.Quote(e)} text, {SqlNames.Quote(v)} numeric, {SqlNames.Quote(p)} text);
            CREATE TABLE {GroupsTable} ({SqlNames.Quote(foreignKey)} bigint NOT NULL REFERENCES {Table} ({SqlNames.Quote(k)}) ON DELETE CASCADE,
                {SqlNames.Quote(nameColumn)} text NOT NULL, PRIMARY KEY ({SqlNames.Quote(foreignKey)}, {SqlNames.Quote(nameColumn)}));
            """);
    }

    public MappingSpec Mapping
    {
        get
        {
            var (k, e, v, p) = Columns;
            return new MappingSpec([new FieldSpec(k, "id", null, Here), new FieldSpec(e, "email", null, Here), new FieldSpec(v, "ltv", null, Here), new FieldSpec(p, "plan", null, Here)], Here);
        }
    }

    public RecordsDestination Destination(RecordsMode mode, IReadOnlyDictionary<string, string>? groups = null, PostgresConnectionOptions? connection = null, NpgsqlDataSource? dataSource = null,
        bool softDelete = false)
    {
        var (k, e, v, p) = Columns;
        string[] columns = [k, e, v, p];
        return new RecordsDestination("records_sync", dataSource ?? Db, connection ?? new PostgresConnectionOptions { Name = "wh", Database = "test", User = "postgres" },
            new RecordsDestinationOptions
            {
                Schema = schema,
                Table = table,
                Key = k,
                Mode = mode,
                SoftDelete = softDelete,
                Columns = columns,
                Groups = groups is null ? null : new RecordsGroupsOptions
                {
                    Schema = schema,
                    Table = groupsTable,
                    ForeignKey = foreignKey,
                    NameColumn = nameColumn,
                    Definitions = [.. groups.Select(g => new RecordsGroupDefinition(g.Key, GroupCondition.Parse(g.Value, Here, columns)))],
                },
            });
    }

    public Change Upsert(long id, string? email, decimal? ltv, string? plan = null) =>
        new(id.ToString(System.Globalization.CultureInfo.InvariantCulture), ChangeOperation.Upsert, [id, email, ltv, plan], new TestPosition(++_position)) { Kind = ChangeKinds.None };

    public Change Delete(long id) =>
        new(id.ToString(System.Globalization.CultureInfo.InvariantCulture), ChangeOperation.Delete, [null, null, null, null], new TestPosition(++_position)) { Kind = ChangeKinds.Deleted };

    /// <summary>Encodes the changes the destination sends (as the engine does: <c>Sends</c> first) and writes them as one batch.</summary>
    public async Task<IReadOnlyList<WriteResult>> WriteAsync(IDestination destination, params Change[] changes)
    {
        var mapping = CompiledMapping.Compile(Mapping, Schema, await DestinationShapes.ResolveAsync(destination, CancellationToken.None));
        var batch = changes.Where(destination.Sends).Select(c => destination.Encode(c, mapping)).ToList();
        return await destination.WriteAsync(batch, CancellationToken.None);
    }

    /// <summary>Every row of the table, in key order, as text.</summary>
    public async Task<List<string>> RowsAsync() => await TextRowsAsync($"SELECT t::text FROM {Table} t ORDER BY 1");

    public async Task<List<string>> GroupsAsync() => await TextRowsAsync($"SELECT g::text FROM {GroupsTable} g ORDER BY 1");

    /// <summary>Each group row with its xmin: a row not rewritten keeps its xmin, so a diff needs no trigger.</summary>
    public async Task<Dictionary<string, string>> GroupVersionsAsync()
    {
        var rows = await TextRowsAsync($"SELECT g::text || '|' || g.xmin::text FROM {GroupsTable} g");
        return rows.ToDictionary(r => r[..r.LastIndexOf('|')], r => r[(r.LastIndexOf('|') + 1)..]);
    }

    public async Task<Dictionary<string, string>> RowVersionsAsync()
    {
        var rows = await TextRowsAsync($"SELECT t::text || '|' || t.xmin::text FROM {Table} t");
        return rows.ToDictionary(r => r[..r.LastIndexOf('|')], r => r[(r.LastIndexOf('|') + 1)..]);
    }

    private async Task<List<string>> TextRowsAsync(string sql)
    {
        var rows = new List<string>();
        await using var command = Db.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
