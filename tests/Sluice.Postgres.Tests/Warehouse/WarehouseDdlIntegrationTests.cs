using Npgsql;
using Sluice.Postgres.Destinations.Warehouse;
using Sluice.Testing;
using static Sluice.Postgres.Tests.Warehouse.WarehouseTypesTests;

namespace Sluice.Postgres.Tests.Warehouse;

public sealed class WarehouseDdlIntegrationTests
{
    private const string HostileEvents = """
        [
          { "type": "track", "messageId": "t1", "event": "\"; DROP TABLE users; --", "userId": "u1",
            "receivedAt": "2024-05-01T10:00:05Z", "timestamp": "2024-05-01T10:00:01+02:00",
            "context": { "library": { "name": "x" }, "a\"b": "q", "back\\slash": 1 },
            "properties": { "Robert'); DROP TABLE students;--": 1.5, "select": true, "Größe": "L", "日本語": "ja",
                            "when": "2024-02-29T12:00:00Z", "tags": ["a", "b"], "userId": "reserved",
                            "a_very_long_property_name_that_goes_on_and_on_past_the_postgres_identifier_limit_one": 1,
                            "a_very_long_property_name_that_goes_on_and_on_past_the_postgres_identifier_limit_two": 2 } },
          { "type": "track", "messageId": "t2", "event": "Users", "properties": { "n": 1 } },
          { "type": "identify", "messageId": "i1", "userId": "u1", "traits": { "email": "a@b.c", "order": 3, "\u0000nul": "x" } },
          { "type": "group", "messageId": "g1", "groupId": "acme", "traits": { "Employees": 12 } },
          { "type": "page", "messageId": "p1", "name": "Home", "properties": { "path": "/" } },
          { "type": "screen", "messageId": "s1", "name": "Main" },
          { "type": "alias", "messageId": "a1", "previousId": "anon", "userId": "u1" }
        ]
        """;

    [Fact]
    public async Task Ddl_for_hostile_events_creates_exactly_the_planned_tables_and_columns_and_touches_nothing_else()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Ddl_for_hostile_events_creates_exactly_the_planned_tables_and_columns_and_touches_nothing_else));
        // Canaries: tables an injected DROP would hit.
        await Execute(db, "CREATE TABLE public.users (id int); CREATE TABLE public.students (id int); CREATE SCHEMA other; CREATE TABLE other.users (id int)");
        var before = await Relations(db);

        var schema = new WarehouseSchema(WarehouseNames.Schema("My \"Source\"; DROP SCHEMA public CASCADE; --"));
        var rows = Parse(HostileEvents).EnumerateArray().SelectMany(e => WarehouseRowPlanner.Plan(e).Rows).ToList();
        var changes = WarehouseSchemaPlanner.Changes(schema, rows);
        foreach (var statement in WarehouseDdl.Statements(schema.Name, changes).Append(WarehouseDdl.CreateDiscardsTable(schema.Name)))
        {
            await Execute(db, statement);
        }

        var expected = changes.SelectMany(c => c.Columns.Select(col => (c.Table, col.Name, InformationSchema(col.Type))))
            .Concat(WarehouseDdl.DiscardsColumns.Select(col => (WarehouseDdl.DiscardsTable, col.Name, InformationSchema(col.Type))))
            .Order()
            .ToList();
        Assert.Equal(expected, (await Columns(db, schema.Name)).Order().ToList());
        Assert.Equal(
            ["_users", "accounts", "aliases", "discards", "drop_table_users", "groups", "identifies", "pages", "screens", "tracks", "users"],
            (await Columns(db, schema.Name)).Select(c => c.Table).Distinct().Order());
        Assert.Contains(("drop_table_users", "robert_drop_table_students", "numeric"), expected);
        Assert.Contains(("drop_table_users", "_select", "boolean"), expected);
        Assert.Contains(("drop_table_users", "_when", "timestamp with time zone"), expected);
        Assert.Contains(("drop_table_users", "id", "character varying(1024)"), expected);
        Assert.Contains(("drop_table_users", "context_a_b", "text"), expected);
        Assert.Contains(("identifies", "_order", "bigint"), expected);

        // Nothing else appeared or went away: only the new schema's tables (and their primary key indexes).
        var after = await Relations(db);
        Assert.Empty(before.Except(after));
        Assert.All(after.Except(before), r => Assert.Equal(schema.Name, r.Schema));

        // Running the same DDL again changes nothing.
        foreach (var statement in WarehouseDdl.Statements(schema.Name, changes))
        {
            await Execute(db, statement);
        }

        Assert.Equal(after, await Relations(db));
    }

    [Fact]
    public async Task Reconciled_values_are_accepted_by_postgres_in_their_column_types()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Reconciled_values_are_accepted_by_postgres_in_their_column_types));
        var schema = new WarehouseSchema("values_check");
        var rows = Parse(HostileEvents).EnumerateArray().SelectMany(e => WarehouseRowPlanner.Plan(e).Rows).ToList();
        var changes = WarehouseSchemaPlanner.Changes(schema, rows);
        foreach (var statement in WarehouseDdl.Statements(schema.Name, changes))
        {
            await Execute(db, statement);
        }

        schema.Apply(changes);
        var discards = new List<WarehouseDiscard>();
        foreach (var row in rows.Select(r => WarehouseTypeReconciler.Reconcile(r, schema.Columns(r.Table), discards)))
        {
            // A stand-in for the loader: every value as text, cast by PostgreSQL to its column's type.
            var columns = string.Join(", ", row.Cells.Select(c => WarehouseNames.Quote(c.Column)));
            var values = string.Join(", ", row.Cells.Select((c, i) => $"${i + 1}::{WarehouseTypes.ToPostgres(c.Type)}"));
            await using var insert = db.CreateCommand(
                $"INSERT INTO {WarehouseNames.Quote(schema.Name)}.{WarehouseNames.Quote(row.Table)} ({columns}) VALUES ({values})");
            foreach (var cell in row.Cells)
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = (object?)cell.Value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            }

            await insert.ExecuteNonQueryAsync();
        }

        Assert.Empty(discards);
        await using var check = db.CreateCommand(
            """SELECT "timestamp" = '2024-05-01T08:00:01Z'::timestamptz, _when = '2024-02-29T12:00:00Z', robert_drop_table_students, tags FROM values_check.drop_table_users""");
        await using var reader = await check.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.True(reader.GetBoolean(0));
        Assert.True(reader.GetBoolean(1));
        Assert.Equal(1.5m, reader.GetDecimal(2));
        Assert.Equal("[\"a\",\"b\"]", reader.GetString(3));
    }

    /// <summary>How information_schema spells a warehouse type.</summary>
    private static string InformationSchema(WarehouseType type) => type switch
    {
        WarehouseType.Id => "character varying(1024)",
        WarehouseType.TimestampTz => "timestamp with time zone",
        _ => WarehouseTypes.ToPostgres(type),
    };

    private static async Task<List<(string Table, string Column, string Type)>> Columns(NpgsqlDataSource db, string schema)
    {
        await using var command = db.CreateCommand(WarehouseDdl.ColumnsQuery);
        command.Parameters.AddWithValue(schema);
        await using var reader = await command.ExecuteReaderAsync();
        var columns = new List<(string, string, string)>();
        while (await reader.ReadAsync())
        {
            var type = reader.GetString(2) + (reader.IsDBNull(3) ? "" : $"({reader.GetInt32(3)})");
            columns.Add((reader.GetString(0), reader.GetString(1), type));
        }

        return columns;
    }

    private static async Task<List<(string Schema, string Name, char Kind)>> Relations(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand("""
            SELECT n.nspname::text, c.relname::text, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1, 2
            """);
        await using var reader = await command.ExecuteReaderAsync();
        var relations = new List<(string, string, char)>();
        while (await reader.ReadAsync())
        {
            relations.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)[0]));
        }

        return relations;
    }

    private static async Task Execute(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
