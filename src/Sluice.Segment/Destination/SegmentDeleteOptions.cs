using System.Globalization;
using Sluice.Core.Configuration;

namespace Sluice.Segment.Destination;

/// <summary>
/// A destination's <c>on_delete:</c>: the call a deleted record becomes, with <c>on: [..., deleted]</c>. A deleted
/// record has only its key, so the call says whose record it was through the mapping's <c>user_id</c> (or
/// <c>anonymous_id</c>, <c>group_id</c>) mapped to a key column, and carries fixed values besides.
/// </summary>
public sealed class SegmentDeleteOptions
{
    /// <summary>The call: <c>track</c> (an event such as <c>Account Deleted</c>), <c>identify</c> or <c>group</c> (traits such as <c>deleted: true</c>).</summary>
    public SegmentCall Call { get; init; }

    /// <summary>Track only, and required there: the event's fixed name (a deleted record has no columns to template it from).</summary>
    public string? Event { get; init; }

    /// <summary>Fixed <c>properties</c> (track) or <c>traits</c> (identify, group): name → text, number or boolean.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> Values { get; init; } = [];

    internal static SegmentDeleteOptions Bind(ConfigSection onDelete, SegmentCall mainCall)
    {
        var call = onDelete.GetEnum<SegmentCall>("call")
            ?? throw new ConfigException(onDelete.Location, "missing required key 'call' in 'on_delete'",
                "say which call a deleted record becomes: 'call: track' with 'event: Account Deleted', or 'call: identify' with 'traits: {deleted: true}'");
        if (call == SegmentCall.Group && mainCall != SegmentCall.Group)
        {
            throw new ConfigException(onDelete.LocationOf("call"), "'on_delete' makes group calls, which need 'group_id' in the mapping, but this sync does not make group calls",
                "use 'call: identify' or 'call: track' for deletes, or make group calls with 'call: group'");
        }

        string? eventName = null;
        if (call == SegmentCall.Track)
        {
            eventName = onDelete.RequireString("event", "name the event a deleted record sends, e.g. 'event: Account Deleted'");
            if (EventNameTemplate.Parse(eventName, onDelete.LocationOf("event")).FixedName is not { } fixedName)
            {
                throw new ConfigException(onDelete.LocationOf("event"), $"event name '{eventName}' takes values from columns, but a deleted record has only its key",
                    "give deletes a fixed name, e.g. 'event: Account Deleted'");
            }

            eventName = fixedName;
        }
        else if (onDelete.Has("event"))
        {
            throw new ConfigException(onDelete.LocationOf("event"), $"'event' names a track event, but deletes make {Name(call)} calls", "remove 'event', or use 'call: track'");
        }

        var valuesKey = call == SegmentCall.Track ? "properties" : "traits";
        var otherKey = call == SegmentCall.Track ? "traits" : "properties";
        if (onDelete.Has(otherKey))
        {
            throw new ConfigException(onDelete.LocationOf(otherKey), $"a {Name(call)} call has {valuesKey}, not {otherKey}", $"rename '{otherKey}' to '{valuesKey}'");
        }

        var values = new List<KeyValuePair<string, object>>();
        if (onDelete.GetSection(valuesKey) is { } section)
        {
            foreach (var name in section.Keys)
            {
                var text = section.GetString(name) ?? throw new ConfigException(section.LocationOf(name), $"'{name}' has no value",
                    "give it a fixed value, e.g. 'deleted: true'; a deleted record has no columns to read");
                values.Add(new(name, Constant(text)));
            }
        }

        var options = new SegmentDeleteOptions { Call = call, Event = eventName, Values = values };
        onDelete.RejectUnknownKeys();
        return options;
    }

    private static string Name(SegmentCall call) => call.ToString().ToLowerInvariant();

    /// <summary>As YAML means a plain scalar: <c>true</c>/<c>false</c> a boolean, a number a number, anything else text.</summary>
    private static object Constant(string text) => text switch
    {
        "true" => true,
        "false" => false,
        _ when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole) => whole,
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) => number,
        _ => text,
    };
}
