using Sluice.Core.Configuration;

namespace Sluice.Salesforce.Destination;

/// <summary>One entry of a destination's <c>fields:</c>: how a value is turned into what the field takes.</summary>
public sealed class SalesforceFieldOptions
{
    /// <summary>A picklist's value map (<c>values: {trial: Trial, paid: Customer}</c>); an unmapped value is sent as it is.</summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = new Dictionary<string, string>();

    /// <summary>Text longer than the field is cut to its length instead of being refused. Default false.</summary>
    public bool Truncate { get; init; }

    /// <summary>Where the entry is, for errors.</summary>
    public ConfigLocation? Location { get; init; }

    public static SalesforceFieldOptions Bind(ConfigSection field)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (field.GetSection("values") is { } map)
        {
            foreach (var key in map.Keys)
            {
                values[key] = map.GetString(key) ?? throw new ConfigException(map.LocationOf(key), $"'{key}' maps to nothing",
                    $"write the picklist value it becomes, e.g. '{key}: Customer'");
            }
        }

        var options = new SalesforceFieldOptions { Values = values, Truncate = field.GetBool("truncate") ?? false, Location = field.Location };
        field.RejectUnknownKeys();
        return options;
    }
}
