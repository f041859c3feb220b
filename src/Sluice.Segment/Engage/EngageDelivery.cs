using System.Globalization;
using System.Text.Json;

namespace Sluice.Segment.Engage;

/// <summary>
/// One change Segment Engage (Personas) delivers to a webhook or Actions destination, read from the Segment call that
/// carries it (reference/segment.md §3; Segment's docs, "Using Engage data" and "Computed traits"):
/// <list type="bullet">
/// <item>audience membership as an identify, <c>traits: {"&lt;audience_key&gt;": true|false}</c>, or as a track
/// <c>Audience Entered</c> / <c>Audience Exited</c> with <c>properties.audience_key</c>;</item>
/// <item>a computed trait as an identify, <c>traits: {"&lt;trait_key&gt;": value}</c>, or as a track <c>Trait Computed</c>
/// with <c>properties.trait_key</c>;</item>
/// </list>
/// each with <c>context.personas</c> (<c>computation_class</c> <c>audience</c> or <c>trait</c>, <c>computation_key</c>,
/// <c>space_id</c>), which tells an Engage call from any other identify.
/// </summary>
/// <param name="Kind">An audience membership or a computed trait.</param>
/// <param name="UserId">The profile: <c>userId</c>, else <c>anonymousId</c>.</param>
/// <param name="Key">The audience key or the trait key (<c>computation_key</c>).</param>
/// <param name="Member">For an audience: whether the profile is in it now.</param>
/// <param name="Value">For a trait: its value as JSON text.</param>
/// <param name="Timestamp">When Engage computed it (<c>timestamp</c>): newer wins, whatever order deliveries arrive in.</param>
/// <param name="MessageId">Segment's <c>messageId</c>: a retried delivery carries the same one.</param>
/// <param name="SpaceId">The Engage space (<c>context.personas.space_id</c>), when given.</param>
public sealed record EngageDelivery(EngageDeliveryKind Kind, string UserId, string Key, bool? Member, string? Value, DateTimeOffset Timestamp, string MessageId, string? SpaceId)
{
    /// <summary>Engage's default track names (customisable in Engage; any track with <c>properties.audience_key</c> counts).</summary>
    public const string AudienceEntered = "Audience Entered";

    /// <inheritdoc cref="AudienceEntered"/>
    public const string AudienceExited = "Audience Exited";

    /// <summary>Engage's default track name for a computed trait sent as a track.</summary>
    public const string TraitComputed = "Trait Computed";

    /// <summary>Reads one Segment call; <paramref name="error"/> says why it is not an Engage delivery Sluice can apply.</summary>
    public static bool TryRead(JsonElement call, out EngageDelivery? delivery, out string error)
    {
        delivery = null;
        if (call.ValueKind != JsonValueKind.Object)
        {
            error = "a delivery must be a JSON object (one Segment call)";
            return false;
        }

        var type = Text(call, "type");
        var user = Text(call, "userId") ?? Text(call, "anonymousId");
        var messageId = Text(call, "messageId");
        var personas = call.TryGetProperty("context", out var context) && context.ValueKind == JsonValueKind.Object
            && context.TryGetProperty("personas", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        if (personas.ValueKind != JsonValueKind.Object)
        {
            error = "not an Engage delivery: it has no context.personas (computation_class, computation_key)";
            return false;
        }

        var computationClass = Text(personas, "computation_class");
        var computationKey = Text(personas, "computation_key");
        var spaceId = Text(personas, "space_id");
        if (user is null)
        {
            error = "the delivery has no userId and no anonymousId";
            return false;
        }

        if (messageId is null)
        {
            error = "the delivery has no messageId";
            return false;
        }

        // Engage drops a trait whose timestamp has no zone (reference §1.4); without one, order cannot be decided.
        if (Text(call, "timestamp") is not { } stamp || !TryParseTimestamp(stamp, out var timestamp))
        {
            error = "the delivery has no ISO-8601 timestamp with a time zone";
            return false;
        }

        switch (type)
        {
            case "identify":
                var traits = call.TryGetProperty("traits", out var t) && t.ValueKind == JsonValueKind.Object ? t : default;
                if (computationKey is null || traits.ValueKind != JsonValueKind.Object || !traits.TryGetProperty(computationKey, out var value))
                {
                    error = "an Engage identify must carry traits.<context.personas.computation_key>";
                    return false;
                }

                return Make(computationClass, computationKey, value, out delivery, out error);

            case "track":
                var properties = call.TryGetProperty("properties", out var pr) && pr.ValueKind == JsonValueKind.Object ? pr : default;
                var name = Text(call, "event");
                if (properties.ValueKind == JsonValueKind.Object && Text(properties, "audience_key") is { } audience)
                {
                    // The membership is the property named after the audience; else the event's name says it.
                    bool? member = properties.TryGetProperty(audience, out var flag) && flag.ValueKind is JsonValueKind.True or JsonValueKind.False
                        ? flag.GetBoolean()
                        : name == AudienceEntered ? true : name == AudienceExited ? false : null;
                    if (member is null)
                    {
                        error = $"the track '{name}' names audience '{audience}' but neither properties.{audience} (true or false) nor its event name ('{AudienceEntered}', '{AudienceExited}') says whether the profile is in it";
                        return false;
                    }

                    delivery = new EngageDelivery(EngageDeliveryKind.Audience, user, audience, member, null, timestamp, messageId, spaceId);
                    error = "";
                    return true;
                }

                if (properties.ValueKind == JsonValueKind.Object && Text(properties, "trait_key") is { } trait && properties.TryGetProperty(trait, out var traitValue))
                {
                    delivery = new EngageDelivery(EngageDeliveryKind.Trait, user, trait, null, traitValue.GetRawText(), timestamp, messageId, spaceId);
                    error = "";
                    return true;
                }

                error = $"an Engage track must carry properties.audience_key ('{AudienceEntered}', '{AudienceExited}') or properties.trait_key and its value ('{TraitComputed}')";
                return false;

            default:
                error = $"an Engage delivery is an identify or a track, not '{type ?? "(no type)"}'";
                return false;
        }

        bool Make(string? kind, string key, JsonElement value, out EngageDelivery? made, out string why)
        {
            made = null;
            switch (kind)
            {
                case "audience" or "journey_step" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    made = new EngageDelivery(EngageDeliveryKind.Audience, user, key, value.GetBoolean(), null, timestamp, messageId, spaceId);
                    break;
                case "audience" or "journey_step":
                    why = $"audience '{key}': traits.{key} must be true or false";
                    return false;
                case "trait":
                    made = new EngageDelivery(EngageDeliveryKind.Trait, user, key, null, value.GetRawText(), timestamp, messageId, spaceId);
                    break;
                default:
                    why = $"context.personas.computation_class is '{kind ?? "(none)"}'; expected 'audience' or 'trait'";
                    return false;
            }

            why = "";
            return true;
        }
    }

    private static bool TryParseTimestamp(string text, out DateTimeOffset timestamp)
    {
        // A zone is required: 'Z' or an offset at the end (DateTimeOffset.TryParse would assume the local zone).
        var zoned = text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out timestamp) & zoned;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
}
