using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Sluice.Postgres.Destinations.Warehouse.Internal;

/// <summary>
/// The statements that write rows. Every value travels as an element of a <c>text[]</c> parameter, one array per
/// column, and is cast in SQL to its column's type (<c>INSERT … SELECT u.c1::bigint … FROM unnest($1, $2, …)</c>):
/// one round trip per table per batch, one statement shape per column set (so Npgsql's automatic preparation pays),
/// and no temporary tables to bloat the catalog. Identifiers come from <see cref="WarehouseNames"/> and are always
/// quoted; no value is ever part of the SQL text.
/// </summary>
internal static class WarehouseInsertSql
{
    private const string Alias = "t";

    public static readonly string[] DiscardColumns = ["table_name", "row_id", "column_name", "column_value", "received_at", "reason"];

    /// <summary>Inserts <paramref name="rows"/> (one table), skipping ids it already has; returns the ids inserted.</summary>
    public static NpgsqlBatchCommand Append(string schema, string table, IReadOnlyList<WarehouseRow> rows, IReadOnlyDictionary<string, WarehouseType> columns)
    {
        var (sql, parameters) = Insert(schema, table, rows, columns);
        sql.Append(" ON CONFLICT (\"id\") DO NOTHING RETURNING \"id\"");
        return Command(sql, parameters);
    }

    /// <summary>
    /// Upserts the latest state of <c>users</c> or <c>accounts</c> (one row per id): each column takes the value of
    /// the later event by <c>received_at</c> unless that value is null, so a trait one event does not carry is kept,
    /// and a late event only fills the columns the row has no value for.
    /// </summary>
    public static NpgsqlBatchCommand Merge(string schema, string table, IReadOnlyList<WarehouseRow> rows, IReadOnlyDictionary<string, WarehouseType> columns)
    {
        var (sql, parameters) = Insert(schema, table, rows, columns);
        var receivedAt = Quote(WarehouseColumns.ReceivedAt);
        var newer = columns.ContainsKey(WarehouseColumns.ReceivedAt)
            ? $"({Alias}.{receivedAt} IS NULL OR excluded.{receivedAt} >= {Alias}.{receivedAt})"
            : "true";
        var set = new List<string>();
        var written = ColumnsOf(rows).Where(c => c != WarehouseColumns.Id);
        if (columns.ContainsKey(WarehouseColumns.UuidTs))
        {
            written = written.Append(WarehouseColumns.UuidTs);
        }

        foreach (var column in written)
        {
            var name = Quote(column);
            set.Add(column switch
            {
                WarehouseColumns.ReceivedAt => $"{name} = GREATEST({Alias}.{name}, excluded.{name})",
                WarehouseColumns.UuidTs => $"{name} = excluded.{name}",
                _ => $"{name} = CASE WHEN {newer} THEN COALESCE(excluded.{name}, {Alias}.{name}) ELSE COALESCE({Alias}.{name}, excluded.{name}) END",
            });
        }

        sql.Append(set.Count == 0
            ? " ON CONFLICT (\"id\") DO NOTHING"
            : $" ON CONFLICT (\"id\") DO UPDATE SET {string.Join(", ", set)}");
        return Command(sql, parameters);
    }

    /// <summary>Appends <paramref name="discards"/> to the schema's <c>discards</c> table.</summary>
    public static NpgsqlBatchCommand Discards(string schema, IReadOnlyList<WarehouseDiscard> discards)
    {
        var values = DiscardColumns.Select(_ => new string?[discards.Count]).ToArray();
        for (var i = 0; i < discards.Count; i++)
        {
            var d = discards[i];
            values[0][i] = Storable(d.Table);
            values[1][i] = Storable(d.RowId);
            values[2][i] = Storable(d.Column);
            values[3][i] = Storable(d.Value);
            values[4][i] = d.ReceivedAt is { } at ? IsoTimestamp.Format(at) : null;
            values[5][i] = Storable(d.Reason);
        }

        var sql = new StringBuilder($"INSERT INTO {Quote(schema)}.{Quote(WarehouseDdl.DiscardsTable)} (");
        sql.AppendJoin(", ", DiscardColumns.Select(Quote)).Append(", ").Append(Quote(WarehouseColumns.UuidTs)).Append(") SELECT ");
        sql.Append("u.c0, u.c1, u.c2, u.c3, u.c4::timestamptz, u.c5, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(c0, c1, c2, c3, c4, c5)");
        return Command(sql, values.Select(Parameter).ToArray());
    }

    private static (StringBuilder Sql, NpgsqlParameter[] Parameters) Insert(
        string schema, string table, IReadOnlyList<WarehouseRow> rows, IReadOnlyDictionary<string, WarehouseType> columns)
    {
        var names = ColumnsOf(rows).ToList();
        var ordinals = names.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        var values = names.Select(_ => new string?[rows.Count]).ToArray();
        for (var r = 0; r < rows.Count; r++)
        {
            foreach (var cell in rows[r].Cells)
            {
                values[ordinals[cell.Column]][r] = Storable(cell.Value);
            }
        }

        var stampsLoad = columns.ContainsKey(WarehouseColumns.UuidTs);
        var sql = new StringBuilder($"INSERT INTO {Quote(schema)}.{Quote(table)} AS {Alias} (");
        sql.AppendJoin(", ", names.Select(Quote));
        if (stampsLoad)
        {
            sql.Append(", ").Append(Quote(WarehouseColumns.UuidTs));
        }

        sql.Append(") SELECT ");
        sql.AppendJoin(", ", names.Select((name, i) => $"u.c{i}{Cast(columns[name])}"));
        if (stampsLoad)
        {
            // uuid_ts is the load time: the transaction's start, the same for every row of the batch.
            sql.Append(", now()");
        }

        sql.Append(" FROM unnest(");
        sql.AppendJoin(", ", names.Select((_, i) => $"${i + 1}::text[]"));
        sql.Append(") AS u(");
        sql.AppendJoin(", ", names.Select((_, i) => $"c{i}"));
        sql.Append(')');
        return (sql, values.Select(Parameter).ToArray());
    }

    /// <summary>The columns the rows have values for, in first-seen order (standard columns come first in a row).
    /// <c>uuid_ts</c> is never among them: the loader stamps it.</summary>
    private static IEnumerable<string> ColumnsOf(IReadOnlyList<WarehouseRow> rows)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cell in rows.SelectMany(r => r.Cells))
        {
            if (seen.Add(cell.Column))
            {
                yield return cell.Column;
            }
        }
    }

    /// <summary>Text and ids are assigned as text, so an id too long for varchar(1024) fails rather than being cut
    /// (an explicit cast to varchar(n) truncates silently).</summary>
    private static string Cast(WarehouseType type) => type switch
    {
        WarehouseType.Text or WarehouseType.Id => "",
        _ => "::" + WarehouseTypes.ToPostgres(type),
    };

    /// <summary>The last guard before PostgreSQL: text cannot hold NUL or a lone surrogate (the planner has already
    /// replaced both and recorded the value as sent; a discard's reason or path may still quote one).</summary>
    private static string? Storable(string? text) => text is null ? null : JsonText.Repair(text);

    private static NpgsqlBatchCommand Command(StringBuilder sql, NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql.ToString());
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter Parameter(string?[] values) =>
        new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static string Quote(string identifier) => WarehouseNames.Quote(identifier);
}
