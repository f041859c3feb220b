using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Sluice.Postgres.Sources.Models;

/// <summary>
/// Compiles a model into SQL: one statement computes every record of a batch of keys (<c>p.key = ANY($1)</c>) or of
/// the whole table, all its properties at once; never a statement per record. Every identifier is quoted; the only
/// text placed as written is a property's <c>where:</c> and the model's <c>filter:</c>, checked by
/// <see cref="ModelFilter"/> and parsed by PostgreSQL when the statement is described.
/// </summary>
/// <remarks>
/// Each secondary table joins as a grouped subquery (<c>LEFT JOIN (SELECT fk, count(*), sum(…) FILTER (WHERE …) …
/// GROUP BY fk)</c>, all the aggregates over one table and foreign key in one), and each most/least recent property as
/// a <c>DISTINCT ON (fk)</c> subquery, rather than as <c>LEFT JOIN LATERAL</c> per record. Measured with EXPLAIN ANALYZE
/// on 100,000 customers and 1,000,000 orders (PostgreSQL 15, 2 vCPU, both with indexes on the foreign keys): the whole
/// model in 1.2–1.7 s grouped (one hash aggregate over orders) against 4.6 s lateral (100,000 index probes); a batch of
/// 1,000 keys in 92–113 ms grouped against 156–240 ms lateral, and 5,000 keys in 434–536 ms against 820–890 ms; only at
/// 100 keys were they even (14–40 ms). So grouped subqueries for both; the batch's keys filter each subquery too, so it
/// reads only their rows.
/// <para>
/// A whole read's first row waits for the hash aggregate and the sort by the key's text (session 12, same data): the
/// aggregate is about two thirds of it, the join a fifth, the sort under a tenth. What would let rows flow from the
/// first one does not pay: a group aggregate over the foreign key's index (the planner's only streaming plan) took three
/// times as long as the hash aggregate (5.0 s against 1.6 s in the same minute: a heap fetch per order, in random
/// order), and its rows come in the key's numeric order, not the byte order of its text that the diff merges in; a
/// parallel partial aggregate (one worker) was no faster (100,000 groups of ten rows each: the partial states are
/// nearly as many as the rows).
/// </para>
/// </remarks>
internal static class ModelSql
{
    /// <summary>The column every statement adds: the record key as text in byte order (<c>RecordKeyOrder</c>).</summary>
    public const string KeyColumn = "sluice_key";

    /// <summary>The prefix of the columns that count a record's rows in each secondary table (<see cref="Records"/> with <c>rowCounts</c>).</summary>
    public const string RowsColumn = "sluice_rows_";

    /// <summary>Each secondary table and foreign key the properties read, once, in a fixed order: what a record's row counts are of.</summary>
    public static IReadOnlyList<(string From, string ForeignKey)> Parents(ResolvedModel model) =>
        model.Properties.Where(p => p.IsSecondary).Select(p => (p.From!, p.ForeignKey!)).Distinct().ToList();

    /// <summary>
    /// The model's records with <paramref name="properties"/> (all of them when null): every record, or with
    /// <paramref name="batch"/> only those whose key is in <c>$1</c> (a text array). Columns: the key, each property by
    /// its name, <see cref="KeyColumn"/>; with <paramref name="rowCounts"/>, then the record's count of rows in each of
    /// <see cref="Parents"/> (<see cref="RowsColumn"/><c>0</c>, …), the signal that finds a deleted secondary row.
    /// </summary>
    public static string Records(ResolvedModel model, IEnumerable<ModelProperty>? properties, bool batch, bool rowCounts = false)
    {
        var key = SqlNames.Quote(model.Key.Name);
        var select = new StringBuilder($"p.{key} AS {key}");
        var joins = new StringBuilder();
        var chosen = (properties ?? model.Properties).ToList();

        // Aggregates over the same table and foreign key share one grouped subquery.
        var grouped = chosen.Where(p => p.IsSecondary && p.Aggregate is not (ModelAggregate.Exact or ModelAggregate.MostRecent or ModelAggregate.LeastRecent))
            .GroupBy(p => (p.From!, p.ForeignKey!)).ToList();
        var aliases = new Dictionary<ModelProperty, string>();
        for (var g = 0; g < grouped.Count; g++)
        {
            var table = model.Secondaries[grouped[g].Key.Item1];
            var foreignKey = table.Columns[grouped[g].Key.Item2];
            var alias = $"g{g}";
            var aggregates = new StringBuilder();
            var a = 0;
            foreach (var property in grouped[g])
            {
                aggregates.Append(", ").Append(Aggregate(property)).Append(" AS a").Append(a);
                aliases[property] = $"{alias}.a{a++}";
            }

            if (rowCounts)
            {
                // Every row of the table for the key, whatever the properties' filters: what a delete changes.
                aggregates.Append(", count(*) AS n");
            }

            var fk = SqlNames.Quote(foreignKey.Name);
            joins.Append($"\nLEFT JOIN (SELECT s.{fk} AS k{aggregates} FROM {table.Qualified} AS s");
            if (batch)
            {
                joins.Append($" WHERE s.{fk} = ANY($1::{foreignKey.DatabaseType}[])");
            }

            joins.Append($" GROUP BY s.{fk}) AS {alias} ON {alias}.k = p.{key}");
        }

        var ranked = 0;
        foreach (var property in chosen)
        {
            string expression;
            if (!property.IsSecondary)
            {
                expression = $"p.{SqlNames.Quote(property.Column!)}";
            }
            else if (aliases.TryGetValue(property, out var aggregate))
            {
                // No rows: count is 0; sum, min, max and avg are NULL, as SQL (and Grouparoo) give them.
                expression = property.Aggregate == ModelAggregate.Count ? $"COALESCE({aggregate}, 0)" : aggregate;
            }
            else
            {
                var alias = $"r{ranked++}";
                joins.Append("\nLEFT JOIN (").Append(Ranked(model, property, batch)).Append($") AS {alias} ON {alias}.k = p.{key}");
                expression = $"{alias}.v";
            }

            select.Append(", ").Append(expression).Append(" AS ").Append(SqlNames.Quote(property.Name));
        }

        select.Append($", (p.{key})::text COLLATE \"C\" AS {KeyColumn}");
        if (rowCounts)
        {
            var parents = Parents(model);
            for (var j = 0; j < parents.Count; j++)
            {
                var g = grouped.FindIndex(x => x.Key == parents[j]);
                var alias = $"g{g}";
                if (g < 0)
                {
                    // Only most/least recent or exact properties read this table: a count of its own.
                    var table = model.Secondaries[parents[j].From];
                    var foreignKey = table.Columns[parents[j].ForeignKey];
                    var fk = SqlNames.Quote(foreignKey.Name);
                    alias = $"c{j}";
                    joins.Append($"\nLEFT JOIN (SELECT s.{fk} AS k, count(*) AS n FROM {table.Qualified} AS s");
                    if (batch)
                    {
                        joins.Append($" WHERE s.{fk} = ANY($1::{foreignKey.DatabaseType}[])");
                    }

                    joins.Append($" GROUP BY s.{fk}) AS {alias} ON {alias}.k = p.{key}");
                }

                select.Append($", COALESCE({alias}.n, 0) AS {RowsColumn}{j}");
            }
        }

        var conditions = new List<string>();
        if (model.Filter is { } filter)
        {
            conditions.Add($"({filter})");
        }

        if (batch)
        {
            conditions.Add($"p.{key} = ANY($1::{model.Key.DatabaseType}[])");
        }

        var where = conditions.Count == 0 ? "" : "\nWHERE " + string.Join(" AND ", conditions);
        return $"SELECT {select}\nFROM {model.Primary.Qualified} AS p{joins}{where}";
    }

    /// <summary>
    /// The keys (as text, distinct, in byte order) of the records a row changed in one of the followed tables: the
    /// primary's rows and the foreign keys of the secondaries' rows whose cursor is after <paramref name="from"/> and at
    /// most <paramref name="to"/>, and <paramref name="lostRows"/> (records whose secondary rows were deleted), after
    /// <paramref name="after"/> when a read resumes. <c>null</c> when no table changed.
    /// </summary>
    public static (string Sql, List<NpgsqlParameter> Parameters)? ChangedKeys(ResolvedModel model, IReadOnlyDictionary<string, string> from, IReadOnlyDictionary<string, string> to, string? after,
        IReadOnlyCollection<string>? lostRows = null)
    {
        var parameters = new List<NpgsqlParameter>();
        string Parameter(string text, NpgsqlDbType type = NpgsqlDbType.Text)
        {
            parameters.Add(new NpgsqlParameter { Value = text, NpgsqlDbType = type });
            return $"${parameters.Count}";
        }

        var parts = new List<string>();
        void Changed(ModelTable table, string keyColumn)
        {
            if (!to.TryGetValue(table.Name, out var upper) || (from.TryGetValue(table.Name, out var same) && same == upper))
            {
                return; // no row yet, or none changed
            }

            var cursor = SqlNames.Quote(table.Cursor!.Name);
            var type = table.Cursor.DatabaseType;
            var range = $"t.{cursor} <= {Parameter(upper)}::{type}";
            if (from.TryGetValue(table.Name, out var lower))
            {
                range = $"t.{cursor} > {Parameter(lower)}::{type} AND " + range;
            }

            var column = SqlNames.Quote(keyColumn);
            parts.Add($"SELECT (t.{column})::text AS k FROM {table.Qualified} AS t WHERE {range} AND t.{column} IS NOT NULL");
        }

        Changed(model.Primary, model.Key.Name);
        foreach (var (fromName, foreignKey) in model.Properties.Where(p => p.IsSecondary).Select(p => (p.From!, p.ForeignKey!)).Distinct())
        {
            Changed(model.Secondaries[fromName], foreignKey);
        }

        if (lostRows is { Count: > 0 })
        {
            // The parents whose secondary rows were deleted: no cursor shows a row that is gone.
            parameters.Add(new NpgsqlParameter { Value = lostRows.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            parts.Add($"SELECT unnest(${parameters.Count}::text[]) AS k");
        }

        if (parts.Count == 0)
        {
            return null;
        }

        var resume = after is null ? "" : $" WHERE k COLLATE \"C\" > {Parameter(after)}";
        return ($"SELECT DISTINCT k COLLATE \"C\" FROM ({string.Join("\nUNION ALL\n", parts)}) AS changed{resume} ORDER BY 1", parameters);
    }

    /// <summary>
    /// Each parent's count of rows in a secondary table, the key as text: <c>k</c>, <c>n</c>. A scan of the table's
    /// foreign key (an index-only scan where there is an index on it), made only when the table's deletes moved.
    /// </summary>
    public static string RowCounts(ResolvedModel model, (string From, string ForeignKey) parent)
    {
        var table = model.Secondaries[parent.From];
        var fk = SqlNames.Quote(table.Columns[parent.ForeignKey].Name);
        return $"SELECT (s.{fk})::text AS k, count(*) AS n FROM {table.Qualified} AS s WHERE s.{fk} IS NOT NULL GROUP BY s.{fk}";
    }

    /// <summary>Each secondary table's count of deleted rows (<c>pg_stat_user_tables.n_tup_del</c>; 0 when it has none yet), in <see cref="Parents"/>' tables' order, one column each.</summary>
    public static string DeleteCounts(ResolvedModel model, IReadOnlyList<string> tables) =>
        "SELECT " + string.Join(", ", tables.Select(t => $"(SELECT coalesce(sum(n_tup_del), 0)::bigint FROM pg_stat_user_tables WHERE relid = '{model.Secondaries[t].Qualified.Replace("'", "''", StringComparison.Ordinal)}'::regclass)"));

    /// <summary>Each followed table's greatest cursor value as text, in one statement; a table without one is left out.</summary>
    public static string Horizon(ResolvedModel model) =>
        "SELECT " + string.Join(", ", model.Followed.Select(t => $"(SELECT max(t.{SqlNames.Quote(t.Cursor!.Name)})::text FROM {t.Qualified} AS t)"));

    private static string Aggregate(ModelProperty property)
    {
        var column = property.Column is { } c ? $"s.{SqlNames.Quote(c)}" : "*";
        var call = property.Aggregate switch
        {
            ModelAggregate.Count => $"count({column})",
            ModelAggregate.Sum => $"sum({column})",
            ModelAggregate.Min => $"min({column})",
            ModelAggregate.Max => $"max({column})",
            ModelAggregate.Avg => $"avg({column})",
            _ => throw new ArgumentOutOfRangeException(nameof(property), property.Aggregate, "not an aggregate"),
        };
        return property.Where is { } where ? $"{call} FILTER (WHERE ({where}))" : call;
    }

    /// <summary>
    /// One row per foreign key: the row with the greatest (<c>most_recent</c>) or smallest (<c>least_recent</c>)
    /// <c>order_by</c>, NULLs last either way; ties broken by the table's primary key, greatest or smallest alike, so the
    /// same rows always give the same record. An exact column of a secondary table is its row for the key; should there
    /// be several, the one with the greatest primary key.
    /// </summary>
    private static string Ranked(ResolvedModel model, ModelProperty property, bool batch)
    {
        var table = model.Secondaries[property.From!];
        var foreignKey = table.Columns[property.ForeignKey!];
        var fk = SqlNames.Quote(foreignKey.Name);
        var direction = property.Aggregate == ModelAggregate.LeastRecent ? "ASC" : "DESC";
        var order = new StringBuilder($"s.{fk}");
        if (property.OrderBy is { } orderBy)
        {
            order.Append($", s.{SqlNames.Quote(orderBy)} {direction} NULLS LAST");
        }

        foreach (var column in table.PrimaryKey)
        {
            order.Append($", s.{SqlNames.Quote(column)} {direction}");
        }

        var conditions = new List<string>();
        if (property.Where is { } where)
        {
            conditions.Add($"({where})");
        }

        if (batch)
        {
            conditions.Add($"s.{fk} = ANY($1::{foreignKey.DatabaseType}[])");
        }

        var filter = conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions);
        return $"SELECT DISTINCT ON (s.{fk}) s.{fk} AS k, s.{SqlNames.Quote(property.Column!)} AS v FROM {table.Qualified} AS s{filter} ORDER BY {order}";
    }
}
