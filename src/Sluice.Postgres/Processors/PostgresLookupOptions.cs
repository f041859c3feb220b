using System.Text.RegularExpressions;
using Sluice.Core.Configuration;

namespace Sluice.Postgres.Processors;

/// <summary>
/// <c>lookup: {connection: app, key: Email, sql: "SELECT email, plan FROM app.users WHERE email = ANY(@keys)"}</c>: the
/// query runs once per batch with the batch's <see cref="Key"/> values as the text array <c>@keys</c>; its first column is
/// the key a row answers for, the others are added to the records as columns of their names.
/// </summary>
internal sealed partial class PostgresLookupOptions
{
    /// <summary>The source column whose value is looked up.</summary>
    public required string Key { get; init; }

    /// <summary>The query; it names <c>@keys</c> (a <c>text[]</c>) and nothing else as a parameter.</summary>
    public required string Sql { get; init; }

    /// <summary>The connection's name, as messages show it (<c>no match in app for Email …</c>).</summary>
    public required string Connection { get; init; }

    /// <summary>Whether keys match regardless of case (default true: emails): keys are sent and compared lower-cased.</summary>
    public bool IgnoreCase { get; init; } = true;

    public static PostgresLookupOptions Bind(ConfigSection lookup)
    {
        const string SqlFix = "write one query whose first column is the key and that takes the batch's keys as @keys, e.g. " +
            "sql: \"SELECT email, plan FROM app.users WHERE lower(email) = ANY(@keys)\"";
        var sql = lookup.RequireString("sql", SqlFix);
        if (!KeysParameter().IsMatch(sql))
        {
            throw new ConfigException(lookup.LocationOf("sql"), "lookup: the query does not take the batch's keys as @keys, so it cannot answer one batch in one query", SqlFix);
        }

        if (OtherParameter().Match(sql) is { Success: true } other)
        {
            throw new ConfigException(lookup.LocationOf("sql"), $"lookup: the query names the parameter {other.Value}; only @keys is given", SqlFix);
        }

        var ignoreCase = lookup.GetString("ignore_case") is not { } text || !bool.TryParse(text, out var parsed) || parsed;
        var options = new PostgresLookupOptions
        {
            Key = lookup.RequireString("key", "name the source column whose value is looked up, e.g. 'key: Email'"),
            Sql = sql,
            Connection = lookup.RequireString("connection", "name the PostgreSQL connection the lookup queries, e.g. 'connection: app'"),
            IgnoreCase = ignoreCase,
        };
        lookup.RejectUnknownKeys();
        return options;
    }

    [GeneratedRegex(@"(?<![@\w])@keys\b")]
    private static partial Regex KeysParameter();

    [GeneratedRegex(@"(?<![@\w])@(?!keys\b)[A-Za-z_]\w*")]
    private static partial Regex OtherParameter();
}
