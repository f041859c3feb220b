using Sluice.Core.Configuration;
using Sluice.Core.Mapping;

namespace Sluice.Segment.Destination;

/// <summary>A sync's <c>destination:</c> when it is a Segment connection (docs/segment.md).</summary>
public sealed class SegmentDestinationOptions
{
    private const string EventFix = "name the event, e.g. 'event: Order Completed', or build it from columns: 'event: \"Plan {plan} Started\"'";

    /// <summary>
    /// <c>forward: true</c>: the sync reads an ingest source and passes each event on as its client sent it (its
    /// <c>messageId</c>, context, integrations; see <see cref="SegmentForwardEncoder"/>), with no call, event or mapping
    /// of its own. Default false.
    /// </summary>
    public bool Forward { get; init; }

    /// <summary>The call made for each record. Default identify; required in the config.</summary>
    public SegmentCall Call { get; init; } = SegmentCall.Identify;

    /// <summary>
    /// Track only, and required there: the event name, fixed (<c>Order Completed</c>) or a template of
    /// <c>{column}</c> placeholders (<c>Plan {plan} Started</c>).
    /// </summary>
    public string? Event { get; init; }

    /// <summary>Where <see cref="Event"/> was configured, for errors; null when the options are built in code.</summary>
    public ConfigLocation? EventLocation { get; init; }

    /// <summary>How values become JSON (<c>types:</c>). Default <see cref="JsonValueOptions.Default"/>.</summary>
    public JsonValueOptions Types { get; init; } = JsonValueOptions.Default;

    /// <summary>Track only: fire the event only when a column's value moves (<c>transition:</c>). Default none: every change.</summary>
    public SegmentTransitionOptions? Transition { get; init; }

    /// <summary>The call a deleted record becomes (<c>on_delete:</c>); without it the destination refuses <c>on: [deleted]</c>.</summary>
    public SegmentDeleteOptions? OnDelete { get; init; }

    private enum JsonbStyle
    {
        Nested,
        Flatten,
    }

    private enum NumericStyle
    {
        Number,
        String,
    }

    private enum NullStyle
    {
        Send,
        Omit,
    }

    public static SegmentDestinationOptions Bind(ConfigSection destination)
    {
        if (destination.GetBool("forward") == true)
        {
            foreach (var key in new[] { "call", "event", "transition", "on_delete", "types", "mode" })
            {
                if (destination.Has(key))
                {
                    throw new ConfigException(destination.LocationOf(key),
                        $"'{key}' shapes the calls Sluice makes from rows, but 'forward: true' passes ingested events on as they came",
                        $"remove '{key}', or remove 'forward' and map rows to calls");
                }
            }

            destination.RejectUnknownKeys(["connection"]);
            return new SegmentDestinationOptions { Forward = true };
        }

        var call = destination.GetEnum<SegmentCall>("call")
            ?? throw new ConfigException(destination.Location, "missing required key 'call'",
                "say which Segment call to make: 'call: identify', 'call: track' or 'call: group'; or, reading an ingest source, pass its events on as they came with 'forward: true'");
        string? eventName = null;
        ConfigLocation? eventLocation = null;
        if (call == SegmentCall.Track)
        {
            eventName = destination.RequireString("event", EventFix);
            eventLocation = destination.LocationOf("event");
            EventNameTemplate.Parse(eventName, eventLocation);
        }
        else if (destination.Has("event"))
        {
            throw new ConfigException(destination.LocationOf("event"),
                $"'event' names a track event, but this sync makes {call.ToString().ToLowerInvariant()} calls",
                "remove 'event', or make track calls with 'call: track'");
        }

        if (call != SegmentCall.Track && destination.Has("transition"))
        {
            throw new ConfigException(destination.LocationOf("transition"),
                $"'transition' fires a track event when a value moves, but this sync makes {call.ToString().ToLowerInvariant()} calls",
                "make track calls with 'call: track' and 'event:', or remove 'transition'");
        }

        BindMode(destination);
        var options = new SegmentDestinationOptions
        {
            Call = call,
            Event = eventName,
            EventLocation = eventLocation,
            Types = BindTypes(destination.GetSection("types")),
            Transition = destination.GetSection("transition") is { } transition ? SegmentTransitionOptions.Bind(transition) : null,
            OnDelete = destination.GetSection("on_delete") is { } onDelete ? SegmentDeleteOptions.Bind(onDelete, call) : null,
        };
        destination.RejectUnknownKeys(["connection", "forward"]);
        return options;
    }

    /// <summary>
    /// <c>mode:</c>, the records export's words where they make sense for Segment: <c>additive</c> is the default (added
    /// and changed records; nothing is ever removed), <c>sync</c> sends deletes too, as the call <c>on_delete:</c> names
    /// (the engine adds <c>deleted</c> to <c>on:</c>). <c>enrich</c> does not: every Segment call creates the profile it
    /// names, so there is no "update only what exists".
    /// </summary>
    private static void BindMode(ConfigSection destination)
    {
        switch (destination.GetString("mode")?.Trim().ToLowerInvariant())
        {
            case null or "additive":
                return;
            case "sync" when !destination.Has("on_delete"):
                throw new ConfigException(destination.LocationOf("mode"), "'mode: sync' sends deleted records, but Segment has no delete call of its own",
                    "say which call a delete makes with 'on_delete:' (e.g. 'on_delete: {call: track, event: Account Deleted}'), or use 'mode: additive'");
            case "sync":
                return;
            case "enrich":
                throw new ConfigException(destination.LocationOf("mode"), "'mode: enrich' updates only what the destination already holds, but every Segment call creates the profile it names",
                    "use 'mode: additive' (the default), or 'on: [changed]' to send a record only once this sync has seen it before");
            default:
                throw new ConfigException(destination.LocationOf("mode"), $"unknown mode {destination.Show("mode")}",
                    "use 'mode: additive' (the default) or 'mode: sync' (deletes too, with 'on_delete:')");
        }
    }

    private static JsonValueOptions BindTypes(ConfigSection? types)
    {
        if (types is null)
        {
            return JsonValueOptions.Default;
        }

        var flatten = (types.GetEnum<JsonbStyle>("jsonb") ?? JsonbStyle.Nested) == JsonbStyle.Flatten;
        var separator = types.GetString("separator");
        if (separator is not null && !flatten)
        {
            throw new ConfigException(types.LocationOf("separator"), "'separator' joins the keys of flattened jsonb, but jsonb is not flattened",
                "add 'jsonb: flatten', or remove 'separator'");
        }

        if (separator is { Length: 0 })
        {
            throw new ConfigException(types.LocationOf("separator"), "'separator' is empty, so flattened keys would run together",
                "use a separator such as '_' (the default) or '.'");
        }

        var options = new JsonValueOptions
        {
            FlattenJsonb = flatten,
            FlattenSeparator = separator ?? "_",
            NumericAsString = (types.GetEnum<NumericStyle>("numeric") ?? NumericStyle.Number) == NumericStyle.String,
            OmitNulls = (types.GetEnum<NullStyle>("nulls") ?? NullStyle.Send) == NullStyle.Omit,
        };
        types.RejectUnknownKeys();
        return options;
    }
}
