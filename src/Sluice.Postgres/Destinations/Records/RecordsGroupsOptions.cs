using Sluice.Core.Configuration;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// A records export's <c>groups:</c> (G4): the table memberships are exported to (<c>table</c>, <c>foreign_key</c>,
/// <c>name_column</c>), and where a record's groups come from: named conditions over its mapped properties
/// (<c>define:</c>) and/or a source column holding an array of group names (<c>from:</c>).
/// </summary>
internal sealed class RecordsGroupsOptions
{
    public required string Schema { get; init; }

    public required string Table { get; init; }

    /// <summary>The column holding the record's key (the records table's key).</summary>
    public required string ForeignKey { get; init; }

    /// <summary>The column holding the group's name.</summary>
    public required string NameColumn { get; init; }

    public IReadOnlyList<RecordsGroupDefinition> Definitions { get; init; } = [];

    /// <summary>A source column whose value (an array, or one text) names the record's groups; null when none.</summary>
    public string? From { get; init; }

    /// <summary>Where <c>groups:</c> is written, for errors.</summary>
    public ConfigLocation? Location { get; init; }

    public string QualifiedTable => SqlNames.QuoteQualified(Schema, Table);

    /// <param name="properties">The mapping's targets: the names a condition may use.</param>
    public static RecordsGroupsOptions Bind(ConfigSection groups, string defaultSchema, IReadOnlyCollection<string> properties)
    {
        var (schema, table) = RecordsDestinationOptions.SplitTable(groups, "table", defaultSchema,
            "name the table memberships go to, e.g. 'table: public.customer_groups'");
        var foreignKey = groups.RequireString("foreign_key", "name the groups table's column that holds the record's key, e.g. 'foreign_key: customer_id'");
        var nameColumn = groups.RequireString("name_column", "name the groups table's column that holds the group's name, e.g. 'name_column: group_name'");
        var definitions = new List<RecordsGroupDefinition>();
        if (groups.GetSection("define") is { } define)
        {
            foreach (var name in define.Keys)
            {
                var text = define.GetString(name) ?? throw new ConfigException(define.LocationOf(name), $"group '{name}' has no condition",
                    "write a condition over the mapped properties, e.g. 'high_value: \"lifetime_value > 1000\"'");
                var condition = GroupCondition.Parse(text, define.LocationOf(name), properties);
                definitions.Add(new RecordsGroupDefinition(name, condition));
            }
        }

        var from = groups.GetString("from");
        if (definitions.Count == 0 && from is null)
        {
            throw new ConfigException(groups.Location, "'groups' defines no group",
                "name conditions under 'define:' (e.g. 'define: {high_value: \"lifetime_value > 1000\"}'), or take names from an array column with 'from: tags'");
        }

        groups.RejectUnknownKeys();
        return new RecordsGroupsOptions
        {
            Schema = schema,
            Table = table,
            ForeignKey = foreignKey,
            NameColumn = nameColumn,
            Definitions = definitions,
            From = from,
            Location = groups.Location,
        };
    }
}
