using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;

namespace Sluice.Postgres.Sources;

/// <summary>
/// What makes a diffed source "table-shaped": each row it returns is one row of one base table, every column it returns
/// is that row's own column, and which rows it returns is all a WHERE decides. Then the row's <c>xmin</c> changes whenever
/// a returned value can, and the source can read keys with <c>xmin</c> and <c>ctid</c> first and fetch only the rows that
/// may have changed (<see cref="QuerySourceSignalRead"/>).
/// </summary>
/// <remarks>
/// A <c>table:</c> source is table-shaped when the table is an ordinary one (not a view, partitioned or foreign table).
/// A <c>query:</c> is when it reads <c>SELECT columns FROM table [alias] [WHERE …]</c> and PostgreSQL's plan agrees: one
/// scan of one ordinary table whose output is plain columns (a join, an aggregate, DISTINCT, LIMIT, a function or a
/// sub-select in the select list, a view that is not a plain projection: not table-shaped; the source then compares every
/// row's fingerprint as before). A WHERE may be anything, sub-selects and <c>now()</c> included: it decides membership,
/// which the key scan re-reads on every run.
/// </remarks>
/// <param name="Relation">The table as written in the FROM clause.</param>
/// <param name="AliasClause">The FROM clause's alias text (with its leading space), or empty.</param>
/// <param name="Qualifier">What qualifies the table's system columns: the alias, else the table.</param>
/// <param name="Columns">The select list as written.</param>
/// <param name="Where">The WHERE clause as written (with its leading space), or empty.</param>
internal sealed partial record QuerySourceShape(string Relation, string AliasClause, string Qualifier, string Columns, string Where)
{
    /// <summary>Column names of the source's system columns in the rewritten queries, unlikely in a user's query.</summary>
    public const string XminColumn = "\"sluice$xmin\"";

    /// <inheritdoc cref="XminColumn"/>
    public const string CtidColumn = "\"sluice$ctid\"";

    /// <summary>The rows the source returns, with their <c>xmin</c> and <c>ctid</c>.</summary>
    public string KeyScan => $"SELECT {Columns}, {Qualifier}.xmin AS {XminColumn}, {Qualifier}.ctid AS {CtidColumn} FROM {Relation}{AliasClause}{Where}\n";

    /// <summary>The rows at the <c>ctid</c>s in parameter $1 (their texts, <c>(block,offset)</c>), with their <c>ctid</c>.</summary>
    public string FetchByCtid => $"SELECT {Columns}, {Qualifier}.ctid AS {CtidColumn} FROM {Relation}{AliasClause} WHERE {Qualifier}.ctid = ANY($1::tid[])";

    /// <summary>A <c>table:</c> source's shape, when the table is an ordinary one.</summary>
    public static async Task<QuerySourceShape?> OfTableAsync(NpgsqlConnection connection, PostgresCatalog.Table table, string? filter, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT relkind = 'r' AND NOT relhassubclass FROM pg_class WHERE oid = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = table.Oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
        return await command.ExecuteScalarAsync(ct) is true
            ? new QuerySourceShape(table.Qualified, "", table.Qualified, "*", filter is null ? "" : $" WHERE ({filter})")
            : null;
    }

    /// <summary>A <c>query:</c> source's shape when both its text and PostgreSQL's plan say it is table-shaped; otherwise <c>null</c>.</summary>
    public static async Task<QuerySourceShape?> OfQueryAsync(NpgsqlConnection connection, string query, CancellationToken ct)
    {
        var match = SimpleSelect().Match(query);
        if (!match.Success || connection.PostgreSqlVersion.Major < 13)
        {
            return null;
        }

        var alias = match.Groups["alias"];
        var shape = new QuerySourceShape(match.Groups["rel"].Value, alias.Success ? " " + alias.Value : "", alias.Success ? alias.Value : match.Groups["rel"].Value,
            match.Groups["cols"].Value, match.Groups["where"].Success ? " " + match.Groups["where"].Value : "");
        try
        {
            // The plan of the query as the user wrote it must be one scan of one ordinary table, returning plain columns…
            if (await PlannedTableAsync(connection, query, ct) is not { } planned)
            {
                return null;
            }

            // …and the table the text names must be that one, with the rewritten queries returning what the query does.
            await using var named = new NpgsqlCommand("SELECT to_regclass($1)::oid", connection);
            named.Parameters.Add(new NpgsqlParameter { Value = shape.Relation });
            if (await named.ExecuteScalarAsync(ct) is not uint oid || oid != planned)
            {
                return null;
            }

            var (columns, _) = await PostgresCatalog.QueryColumnsAsync(connection, query, ct);
            var (scanned, _) = await PostgresCatalog.QueryColumnsAsync(connection, shape.KeyScan, ct);
            var (fetched, _) = await PostgresCatalog.QueryColumnsAsync(connection, shape.FetchByCtid.Replace("$1", "'{}'", StringComparison.Ordinal), ct);
            var expected = columns.Select(c => (c.Name, c.DatabaseType)).ToList();
            return scanned.Count == columns.Count + 2 && fetched.Count == columns.Count + 1
                && scanned.Take(columns.Count).Select(c => (c.Name, c.DatabaseType)).SequenceEqual(expected)
                && fetched.Take(columns.Count).Select(c => (c.Name, c.DatabaseType)).SequenceEqual(expected)
                ? shape
                : null;
        }
        catch (PostgresException)
        {
            // The rewrite is not valid for this query (a view has no xmin, an ORDER BY after the WHERE…): not table-shaped.
            return null;
        }
    }

    /// <summary>The oid of the one ordinary table the query's plan scans, when its output is that table's plain columns.</summary>
    private static async Task<uint?> PlannedTableAsync(NpgsqlConnection connection, string query, CancellationToken ct)
    {
        string json;
        await using (var explain = new NpgsqlCommand($"EXPLAIN (VERBOSE, FORMAT JSON) {query}", connection))
        {
            json = (string)(await explain.ExecuteScalarAsync(ct))!;
        }

        using var document = JsonDocument.Parse(json);
        var plan = document.RootElement[0].GetProperty("Plan");
        if (!ScanNodes.Contains(plan.GetProperty("Node Type").GetString() ?? "")
            || !plan.TryGetProperty("Relation Name", out var relation) || !plan.TryGetProperty("Schema", out var schema)
            || !plan.TryGetProperty("Alias", out var alias) || !plan.TryGetProperty("Output", out var output))
        {
            return null;
        }

        // Children: the bitmap index scans of a bitmap heap scan, and sub-plans of the WHERE (membership only).
        if (plan.TryGetProperty("Plans", out var children) && children.EnumerateArray().Any(c =>
                !(c.GetProperty("Node Type").GetString() ?? "").StartsWith("Bitmap", StringComparison.Ordinal)
                && c.GetProperty("Parent Relationship").GetString() is not ("SubPlan" or "InitPlan")))
        {
            return null;
        }

        // EXPLAIN qualifies a column with the alias only when the query has more than one range table entry.
        var qualifier = SqlNames.Quote(alias.GetString()!) + ".";
        var bare = alias.GetString()! + ".";
        foreach (var item in output.EnumerateArray())
        {
            var text = item.GetString() ?? "";
            var name = text.StartsWith(qualifier, StringComparison.Ordinal) ? text[qualifier.Length..]
                : text.StartsWith(bare, StringComparison.Ordinal) ? text[bare.Length..] : text;
            if (!PlainName().IsMatch(name))
            {
                return null;
            }
        }

        await using var kind = new NpgsqlCommand(
            "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'r'", connection);
        kind.Parameters.Add(new NpgsqlParameter { Value = schema.GetString() });
        kind.Parameters.Add(new NpgsqlParameter { Value = relation.GetString() });
        return await kind.ExecuteScalarAsync(ct) is uint oid ? oid : null;
    }

    private static readonly HashSet<string> ScanNodes = ["Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Tid Scan", "Tid Range Scan"];

    /// <summary><c>SELECT cols FROM rel [[AS] alias] [WHERE …]</c>; the plan and the rewritten queries are checked after.</summary>
    [GeneratedRegex("""^\s*SELECT\s+(?<cols>.+?)\s+FROM\s+(?<rel>(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*))?)(?:\s+(?:AS\s+)?(?<alias>(?!WHERE\b)(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)))?(?:\s+(?<where>WHERE\s.*?))?\s*$""",
        RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.ExplicitCapture | RegexOptions.CultureInvariant)]
    private static partial Regex SimpleSelect();

    /// <summary>A column as EXPLAIN writes a plain reference to it: a bare or quoted identifier, nothing else.</summary>
    [GeneratedRegex("""^(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)$""", RegexOptions.CultureInvariant)]
    private static partial Regex PlainName();
}
