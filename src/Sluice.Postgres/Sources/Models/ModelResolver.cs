using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources.Models;

/// <summary>
/// Checks a model against the database: its tables and every column it names exist (a near name is suggested), then
/// PostgreSQL describes the compiled statement — parsing each <c>where:</c> and <c>filter:</c> with the rest, and typing
/// each property. Everything wrong is a config error that points at the key to fix.
/// </summary>
internal static class ModelResolver
{
    public static async Task<ResolvedModel> ResolveAsync(NpgsqlConnection connection, ModelSourceOptions options, string defaultSchema, CancellationToken ct)
    {
        var config = options.Config;
        var primary = await TableAsync(connection, options.Table, options.Cursor, defaultSchema, config?.LocationOf("table"), config?.LocationOf("cursor"), "cursor", ct);
        var keyName = options.Key;
        if (keyName is null)
        {
            var primaryKey = primary.PrimaryKey;
            if (primaryKey.Count != 1)
            {
                throw new ConfigException(config?.LocationOf("table"),
                    primaryKey.Count == 0 ? $"table {primary.Name} has no primary key, so records cannot be told apart" : $"table {primary.Name} has a primary key of {primaryKey.Count} columns; a model's key is one column",
                    "name the column that identifies a record with 'key: id'");
            }

            keyName = primaryKey[0];
        }

        var key = Column(primary, keyName, config?.LocationOf("key"));
        var secondaries = new Dictionary<string, ModelTable>(StringComparer.Ordinal);
        foreach (var property in options.Properties)
        {
            var at = property.Config;
            if (property.Name == key.Name || property.Name == ModelSql.KeyColumn)
            {
                throw new ConfigException(at?.Location, $"property '{property.Name}' has the name of {(property.Name == key.Name ? "the record key" : "a column Sluice adds")}", "give it another name");
            }

            if (property.From is not { } from)
            {
                Column(primary, property.Column!, at?.LocationOf("column"));
                continue;
            }

            if (!secondaries.TryGetValue(from, out var table))
            {
                var cursor = options.Cursors.GetValueOrDefault(from);
                table = await TableAsync(connection, from, cursor, defaultSchema, at?.LocationOf("from"), config?.GetSection("cursors")?.LocationOf(from), $"cursors.{from}", ct);
                secondaries[from] = table;
            }

            var foreignKey = Column(table, property.ForeignKey!, at?.LocationOf("foreign_key"));
            if (property.Column is { } column)
            {
                Column(table, column, at?.LocationOf("column"));
            }

            if (property.OrderBy is { } orderBy)
            {
                Column(table, orderBy, at?.LocationOf("order_by"));
            }

            if (property.Aggregate is ModelAggregate.MostRecent or ModelAggregate.LeastRecent or ModelAggregate.Exact && table.PrimaryKey.Count == 0)
            {
                throw new ConfigException(at?.LocationOf("from"), $"table {table.Name} has no primary key, which breaks ties between a record's rows for '{property.Name}'",
                    $"add a primary key to {table.Name}");
            }

            _ = foreignKey;
        }

        var model = new ResolvedModel(primary, key, secondaries, options.Properties, options.Filter);
        var (columns, readAsText) = await DescribeAsync(connection, model, options, ct);
        columns.RemoveAll(c => c.Name == ModelSql.KeyColumn);
        return model with { Schema = new SourceSchema($"model {primary.Name}", columns, [key.Name]), ReadAsText = readAsText };
    }

    private static async Task<(List<SourceColumn>, HashSet<string>)> DescribeAsync(NpgsqlConnection connection, ResolvedModel model, ModelSourceOptions options, CancellationToken ct)
    {
        try
        {
            return await PostgresCatalog.QueryColumnsAsync(connection, ModelSql.Records(model, null, batch: false), ct);
        }
        catch (PostgresException e) when (IsAboutTheStatement(e))
        {
            // Find the property (or the filter) PostgreSQL objects to, to point at its line.
            if (options.Filter is not null && await FailsAsync(connection, model with { Properties = [] }, ct))
            {
                throw Invalid(options.Config?.LocationOf("filter"), "the model's filter", e);
            }

            foreach (var property in model.Properties)
            {
                if (await FailsAsync(connection, model with { Properties = [property], Filter = null }, ct))
                {
                    var at = property.Config;
                    throw Invalid(property.Where is not null ? at?.LocationOf("where") : at?.LocationOf(property.Column is not null ? "column" : "aggregate"), $"property '{property.Name}'", e);
                }
            }

            throw Invalid(options.Config?.Location, "the model", e);
        }
    }

    private static bool IsAboutTheStatement(PostgresException e) =>
        !e.SqlState.StartsWith("08", StringComparison.Ordinal) && !e.SqlState.StartsWith("57", StringComparison.Ordinal) && e.SqlState != "28P01";

    private static async Task<bool> FailsAsync(NpgsqlConnection connection, ResolvedModel model, CancellationToken ct)
    {
        try
        {
            await PostgresCatalog.QueryColumnsAsync(connection, ModelSql.Records(model, null, batch: false), ct);
            return false;
        }
        catch (PostgresException e) when (IsAboutTheStatement(e))
        {
            return true;
        }
    }

    private static ConfigException Invalid(ConfigLocation? location, string what, PostgresException e) =>
        new(location, $"{what} is not valid for PostgreSQL: {e.MessageText}",
            e.SqlState == "42501" ? "grant the sync's user SELECT on the tables the model reads"
            : e.SqlState == "42883" ? "aggregate a column of a type the aggregate takes (sum and avg take numbers), or pick another aggregate"
            : "fix the condition or column; a 'where:' is written as in a WHERE clause over the table's columns, e.g. \"status = 'paid'\"");

    private static async Task<ModelTable> TableAsync(NpgsqlConnection connection, string name, string? cursor, string defaultSchema, ConfigLocation? tableAt, ConfigLocation? cursorAt, string cursorKey, CancellationToken ct)
    {
        var found = await PostgresCatalog.FindTableAsync(connection, name, defaultSchema, tableAt, ct);
        var (columns, _) = await PostgresCatalog.ColumnsAsync(connection, found, ct);
        var primaryKey = await PostgresCatalog.PrimaryKeyAsync(connection, found, ct);
        var table = new ModelTable(found, columns.ToDictionary(c => c.Name, StringComparer.Ordinal), primaryKey, null);
        return cursor is null ? table : table with { Cursor = Column(table, cursor, cursorAt) };
    }

    private static SourceColumn Column(ModelTable table, string name, ConfigLocation? at) =>
        table.Columns.TryGetValue(name, out var column) ? column : throw new ConfigException(at,
            $"column '{name}' does not exist in {table.Name}",
            NameSuggestions.Closest(name, table.Columns.Keys) is { } closest ? $"did you mean '{closest}'?" : $"columns: {string.Join(", ", table.Columns.Keys)}");
}
