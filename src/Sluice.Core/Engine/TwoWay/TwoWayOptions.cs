using Sluice.Core.Configuration;

namespace Sluice.Core.Engine.TwoWay;

/// <summary>
/// <c>two_way:</c> on a sync: it and the sync named by <see cref="With"/> carry one record between two systems in both
/// directions (users ↔ Contacts) as a pair. Each remembers what both sides last agreed on, skips changes that equal it
/// (echoes of its own writes), and resolves a field changed on both sides by <see cref="Conflicts"/> or
/// <see cref="Owner"/>. The pair is named after the sync that declares it.
/// </summary>
public sealed class TwoWayOptions
{
    /// <summary>The rule <c>last_modified_wins</c>: the side whose record was modified last wins.</summary>
    public const string LastModifiedWins = "last_modified_wins";

    /// <summary>The rule <c>owner</c>: the field's system of record wins.</summary>
    public const string OwnerRule = "owner";

    /// <summary>The sync that carries the other direction.</summary>
    public required string With { get; init; }

    /// <summary>The rule for a field changed on both sides and not named in <see cref="Owner"/>. Default: <c>last_modified_wins</c>.</summary>
    public string Conflicts { get; init; } = LastModifiedWins;

    /// <summary>Per field (by its name on the Salesforce side), the side that wins its conflicts: <c>postgres</c> or <c>salesforce</c>.</summary>
    public IReadOnlyDictionary<string, string> Owner { get; init; } = new Dictionary<string, string>();

    /// <summary>Per side, the column or field that says when a record was last modified. Default: <c>postgres: updated_at</c>, <c>salesforce: LastModifiedDate</c>.</summary>
    public IReadOnlyDictionary<string, string> Modified { get; init; } = DefaultModified;

    /// <summary>Where <c>two_way:</c> is in the config, for errors that name file and key.</summary>
    public required ConfigLocation Location { get; init; }

    private static readonly IReadOnlyDictionary<string, string> DefaultModified = new Dictionary<string, string>
    {
        ["postgres"] = "updated_at",
        ["salesforce"] = "LastModifiedDate",
    };

    /// <summary>The rule that decides <paramref name="field"/>'s conflicts.</summary>
    public string RuleFor(string field) => Owner.ContainsKey(field) ? OwnerRule : Conflicts;

    /// <summary>The sync's <c>two_way:</c>, or <c>null</c> when it has none.</summary>
    public static TwoWayOptions? Bind(SyncConfig sync)
    {
        ArgumentNullException.ThrowIfNull(sync);
        if (!sync.Section.Has("two_way"))
        {
            return null;
        }

        const string Fix = "write 'two_way: {with: contacts_to_users, conflicts: last_modified_wins}' naming the sync that carries the other direction";
        var section = sync.Section.GetSection("two_way")
            ?? throw new ConfigException(sync.Section.LocationOf("two_way"), "'two_way' is not a mapping", Fix);
        var rule = section.GetString("conflicts") ?? LastModifiedWins;
        if (rule is not (LastModifiedWins or OwnerRule))
        {
            throw new ConfigException(section.LocationOf("conflicts"), $"two_way: unknown conflict rule '{rule}'",
                "write 'conflicts: last_modified_wins' (the side modified last wins) or name each field's system of record in 'owner: {Email: postgres, Phone: salesforce}'");
        }

        var owner = Sides(section, "owner", "name each field's system of record, e.g. 'owner: {Email: postgres, Phone: salesforce}'");
        if (rule == OwnerRule && owner.Count == 0)
        {
            throw new ConfigException(section.LocationOf("conflicts"), "two_way: 'conflicts: owner' but no field has an owner", "add 'owner: {Email: postgres, Phone: salesforce}'");
        }

        var modified = new Dictionary<string, string>(DefaultModified);
        if (section.GetSection("modified") is { } given)
        {
            foreach (var side in given.Keys)
            {
                if (side is not ("postgres" or "salesforce"))
                {
                    throw new ConfigException(given.LocationOf(side), $"two_way.modified: unknown side '{side}'", "name the sides 'postgres' and 'salesforce'");
                }

                modified[side] = given.RequireString(side, "name the column or field that says when a record was last modified");
            }
        }

        var options = new TwoWayOptions
        {
            With = section.RequireString("with", "name the sync that carries the other direction, e.g. 'with: contacts_to_users'"),
            Conflicts = rule,
            Owner = owner,
            Modified = modified,
            Location = section.Location,
        };
        section.RejectUnknownKeys(["owner", "modified"]);
        return options;
    }

    private static Dictionary<string, string> Sides(ConfigSection section, string key, string fix)
    {
        var sides = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!section.Has(key))
        {
            return sides;
        }

        var map = section.GetSection(key) ?? throw new ConfigException(section.LocationOf(key), $"two_way: '{key}' is not a mapping", fix);
        foreach (var field in map.Keys)
        {
            var side = map.RequireString(field, fix);
            if (side is not ("postgres" or "salesforce"))
            {
                throw new ConfigException(map.LocationOf(field), $"two_way.{key}: '{field}' is owned by '{side}', which is no side of the pair", "name 'postgres' or 'salesforce'");
            }

            sides[field] = side;
        }

        return sides;
    }
}
