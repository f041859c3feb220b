using System.Text.RegularExpressions;
using Sluice.Core.Configuration;

namespace Sluice.Salesforce.Source;

/// <summary>
/// A sync's <c>source:</c> on a Salesforce connection (docs/salesforce.md, "Salesforce → PostgreSQL"):
/// <c>object</c>, <c>fields</c> and <c>where</c>, or the same as one <c>soql:</c>; <c>lookback</c>, <c>page_size</c>,
/// <c>bulk_poll_threshold</c>, <c>changes</c>.
/// </summary>
public sealed partial class SalesforceSourceOptions
{
    /// <summary>The default <see cref="Lookback"/>: how far behind the newest change each poll reads again.</summary>
    public static readonly TimeSpan DefaultLookback = TimeSpan.FromMinutes(5);

    /// <summary>The default <see cref="PageSize"/>: records per REST query page (Salesforce's largest batch).</summary>
    public const int DefaultPageSize = 2_000;

    /// <summary>The sObject read (<c>Opportunity</c>). Required.</summary>
    public required string Object { get; init; }

    /// <summary>
    /// The fields read, as SOQL names them: the object's own (<c>StageName</c>) and its parents' through relationships
    /// (<c>Account.Name</c>, <c>Owner.Email</c>). Each is a source column of the same name. <c>Id</c> is always read.
    /// </summary>
    public required IReadOnlyList<string> Fields { get; init; }

    /// <summary>A SOQL condition records must meet (<c>IsClosed = false</c>); <c>null</c>: every record.</summary>
    public string? Where { get; init; }

    /// <summary>
    /// How far behind the newest <c>SystemModstamp</c> it has seen each poll reads again, so that a record committed
    /// late with an older stamp is still found. Default 5 minutes.
    /// </summary>
    public TimeSpan Lookback { get; init; } = DefaultLookback;

    /// <summary>
    /// How changes are found: <c>poll</c> (default: REST queries by the SystemModstamp keyset, paced by the sync's
    /// schedule) or <c>stream</c> (the initial load, then Change Data Capture events as they happen; an expired replay id
    /// is reconciled by a poll).
    /// </summary>
    public string Changes { get; init; } = "poll";

    /// <summary>Records per REST query page of a poll (200–2,000). Default 2,000.</summary>
    public int PageSize { get; init; } = DefaultPageSize;

    /// <summary>The default <see cref="BulkPollThreshold"/>.</summary>
    public const int DefaultBulkPollThreshold = 10_000;

    /// <summary>
    /// When a poll's first REST page is full and a <c>COUNT()</c> finds at least this many records after it, the rest is
    /// read through one Bulk API 2.0 query job instead of REST pages (the first poll after a load of records stamped
    /// within the lookback, a mass update). 0 never does. Default 10,000.
    /// </summary>
    public int BulkPollThreshold { get; init; } = DefaultBulkPollThreshold;

    /// <summary>Rows per Bulk query results page of the initial load (<c>maxRecords</c>). Default 50,000.</summary>
    internal int BulkPageSize { get; init; } = 50_000;

    /// <summary>The YAML section, for errors that point at a line; null when built in code.</summary>
    public ConfigSection? Config { get; init; }

    /// <summary>Where an error about <paramref name="key"/> points.</summary>
    public ConfigLocation? LocationOf(string key) => Config?.LocationOf(Config.Has(key) ? key : Config.Has("soql") ? "soql" : "object");

    public static SalesforceSourceOptions Bind(ConfigSection source)
    {
        var changes = (source.GetString("changes") ?? "poll").ToLowerInvariant();
        if (changes is not ("poll" or "stream"))
        {
            throw new ConfigException(source.LocationOf("changes"),
                $"'changes: {changes}' is not a way a Salesforce source finds changes",
                "write 'changes: poll' (query by SystemModstamp on a schedule) or 'changes: stream' (follow Change Data Capture)");
        }

        string objectName;
        IReadOnlyList<string> fields;
        string? where;
        if (source.GetString("soql") is { } soql)
        {
            if (source.Has("object") || source.Has("fields") || source.Has("where"))
            {
                throw new ConfigException(source.LocationOf("soql"), "a Salesforce source takes 'soql:' or 'object:' with 'fields:', not both",
                    "keep one: 'soql: SELECT Id, Name FROM Account WHERE …', or 'object: Account' with 'fields: [Id, Name]'");
            }

            (objectName, fields, where) = ParseSoql(soql, source.LocationOf("soql"));
        }
        else
        {
            objectName = source.RequireString("object", "name the sObject to read, e.g. 'object: Opportunity'");
            fields = source.GetStringList("fields") is { Count: > 0 } listed
                ? listed
                : throw new ConfigException(source.LocationOf(source.Has("fields") ? "fields" : "object"),
                    $"the Salesforce source of object '{objectName}' names no fields",
                    "list the fields to read, e.g. 'fields: [Id, Name, StageName, Account.Name]'");
            where = source.GetString("where");
        }

        var options = new SalesforceSourceOptions
        {
            Object = objectName,
            Fields = fields,
            Where = string.IsNullOrWhiteSpace(where) ? null : where.Trim(),
            Lookback = source.GetDuration("lookback") ?? DefaultLookback,
            PageSize = source.GetInt("page_size", 200, 2_000) ?? DefaultPageSize,
            BulkPollThreshold = source.GetInt("bulk_poll_threshold", 0, int.MaxValue) ?? DefaultBulkPollThreshold,
            Changes = changes,
            Config = source,
        };
        if (options.Lookback < TimeSpan.Zero)
        {
            throw new ConfigException(source.LocationOf("lookback"), "'lookback' cannot be negative", "write e.g. 'lookback: 5m' (0s trusts SystemModstamp as commit order, which it is not)");
        }

        source.RejectUnknownKeys(["connection"]);
        return options;
    }

    /// <summary>
    /// <c>SELECT a, b.c FROM Object [WHERE …]</c> into its parts. Sluice adds its own ordering and paging, so the clauses
    /// that would fight them (<c>ORDER BY</c>, <c>LIMIT</c>, <c>OFFSET</c>, <c>GROUP BY</c>), aggregates and subqueries are refused.
    /// </summary>
    internal static (string Object, IReadOnlyList<string> Fields, string? Where) ParseSoql(string soql, ConfigLocation? location)
    {
        var match = SoqlShape().Match(soql.Trim());
        if (!match.Success)
        {
            throw new ConfigException(location, "'soql' must read 'SELECT fields FROM Object', optionally with 'WHERE condition'",
                "e.g. soql: \"SELECT Id, StageName, Account.Name FROM Opportunity WHERE IsClosed = false\"");
        }

        var where = match.Groups["where"].Success ? match.Groups["where"].Value.Trim() : null;
        if (where is not null && Refused().Match(where) is { Success: true } clause)
        {
            throw new ConfigException(location, $"'soql' may not use {clause.Value.ToUpperInvariant()}: Sluice orders and pages the query itself (by SystemModstamp and Id)",
                $"remove the {clause.Value.ToUpperInvariant()} clause");
        }

        var fields = match.Groups["fields"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (fields.Any(f => f.Contains('(', StringComparison.Ordinal) || f.Contains(' ', StringComparison.Ordinal)))
        {
            throw new ConfigException(location, "'soql' may select only fields (Name, Account.Name), not functions, aliases or subqueries",
                "select the fields themselves");
        }

        return (match.Groups["object"].Value, fields, where);
    }

    [GeneratedRegex(@"^SELECT\s+(?<fields>.+?)\s+FROM\s+(?<object>[A-Za-z][A-Za-z0-9_]*)(?:\s+WHERE\s+(?<where>.+))?$", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex SoqlShape();

    [GeneratedRegex(@"\b(ORDER\s+BY|LIMIT|OFFSET|GROUP\s+BY|HAVING|FOR\s+UPDATE)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Refused();
}
