using System.Text.Json;
using Sluice.Core.Errors;

namespace Sluice.Segment.Protocol;

/// <summary>
/// One Segment call (identify, track, page, screen, group, alias) read from its JSON object: the one reading of a
/// call that the warehouse layout, the events table and the dry run share. The object's top-level members are walked
/// once; what each field means (which is the call's name, which object is its payload) is decided here, and each
/// reader keeps only its own storage rules (how a string a column cannot hold is stored, which fields it requires).
/// </summary>
/// <remarks>
/// Fields are kept as the <see cref="JsonElement"/>s they were sent as (a repeated member: the last wins, as
/// <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> reads it); an absent field is a default element
/// (<see cref="JsonValueKind.Undefined"/>). The texts (<see cref="MessageId"/>, <see cref="UserId"/>, …) follow
/// Segment's reading of ids: a string, or a number as written; blank, null or any other JSON is no id.
/// </remarks>
public readonly struct SegmentMessage
{
    private SegmentMessage(JsonElement json) => Json = json;

    /// <summary>The call's object as sent.</summary>
    public JsonElement Json { get; }

    /// <summary>The call type, when <c>type</c> names one of the six (letter case ignored); null otherwise.</summary>
    public SegmentEventType? Kind { get; private init; }

    /// <summary>The <c>type</c> as sent, when it is a non-empty string; null otherwise.</summary>
    public string? TypeText { get; private init; }

    /// <summary>The <c>type</c> as sent.</summary>
    public JsonElement TypeField { get; private init; }

    public JsonElement MessageIdField { get; private init; }

    public JsonElement UserIdField { get; private init; }

    public JsonElement AnonymousIdField { get; private init; }

    public JsonElement GroupIdField { get; private init; }

    public JsonElement PreviousIdField { get; private init; }

    /// <summary>A track's <c>event</c> as sent.</summary>
    public JsonElement EventField { get; private init; }

    /// <summary>A page's or screen's <c>name</c> as sent.</summary>
    public JsonElement NameField { get; private init; }

    /// <summary>A page's or screen's <c>category</c> as sent.</summary>
    public JsonElement CategoryField { get; private init; }

    public JsonElement Properties { get; private init; }

    public JsonElement Traits { get; private init; }

    public JsonElement Context { get; private init; }

    /// <summary>The client's time of the call, after Segment's clock-skew correction when the API made it.</summary>
    public JsonElement Timestamp { get; private init; }

    /// <summary>The client's time as it sent it (the API relabels a sent <c>timestamp</c> so).</summary>
    public JsonElement OriginalTimestamp { get; private init; }

    public JsonElement SentAt { get; private init; }

    public JsonElement ReceivedAt { get; private init; }

    public string? MessageId => IdText(MessageIdField);

    public string? UserId => IdText(UserIdField);

    public string? AnonymousId => IdText(AnonymousIdField);

    public string? GroupId => IdText(GroupIdField);

    public string? PreviousId => IdText(PreviousIdField);

    /// <summary>Who the call is about: the <c>userId</c>, else the <c>anonymousId</c>.</summary>
    public string? Identity => UserId ?? AnonymousId;

    /// <summary>A track's <c>event</c>, when it is a non-empty string.</summary>
    public string? Event => NonEmptyString(EventField);

    /// <summary>
    /// The object that carries the call's own data: <c>traits</c> for identify and group, nothing for alias, and
    /// <c>properties</c> for track, page and screen (and for a call of no known type that has them; else its
    /// <c>traits</c>). <see cref="PayloadName"/> says which; absent is a default element.
    /// </summary>
    public JsonElement Payload => PayloadName switch
    {
        "traits" => Traits,
        "properties" => Properties,
        _ => default,
    };

    /// <summary>The member <see cref="Payload"/> is read from: <c>properties</c>, <c>traits</c>, or null (alias).</summary>
    public string? PayloadName => PayloadNameAs(Kind);

    /// <summary><see cref="PayloadName"/> for the call read as <paramref name="kind"/> (a type known from elsewhere, e.g. a queue column).</summary>
    public string? PayloadNameAs(SegmentEventType? kind) => kind switch
    {
        SegmentEventType.Identify or SegmentEventType.Group => "traits",
        SegmentEventType.Alias => null,
        _ when Properties.ValueKind is not JsonValueKind.Undefined => "properties",
        _ when Traits.ValueKind is not JsonValueKind.Undefined => "traits",
        _ => "properties",
    };

    /// <summary>
    /// How the call is named in a plan's tally, as the Segment Spec names calls: <c>track "Order Completed"</c>, or
    /// the type alone (<c>identify</c>); null when the call has no <c>type</c> string.
    /// </summary>
    public string? Label
    {
        get
        {
            var type = StringOf(TypeField);
            var name = StringOf(EventField);
            return type is null ? null : name is null || type != "track" ? type : $"{type} \"{name}\"";
        }
    }

    /// <summary>The <see cref="Label"/> of the call in <paramref name="utf8Json"/>; null when it is not JSON, not an object or has no type.</summary>
    public static string? LabelOf(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        try
        {
            using var document = JsonDocument.ParseValue(ref reader);
            return TryRead(document.RootElement, out var message, out _) ? message.Label : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads the call in <paramref name="json"/>. Refuses (with <paramref name="rejection"/>) only what is not a call
    /// at all: JSON that is not an object. Whether the call has what a reader needs is <see cref="Check"/>'s business.
    /// </summary>
    public static bool TryRead(JsonElement json, out SegmentMessage message, out SegmentMessageRejection? rejection)
    {
        if (json.ValueKind is not JsonValueKind.Object)
        {
            message = default;
            rejection = new SegmentMessageRejection(SegmentMessageProblem.NotAnObject, $"a Segment event is a JSON object, not {json.ValueKind}");
            return false;
        }

        JsonElement type = default, messageId = default, userId = default, anonymousId = default, groupId = default, previousId = default,
            @event = default, name = default, properties = default, traits = default, context = default,
            timestamp = default, originalTimestamp = default, sentAt = default, receivedAt = default, category = default;
        foreach (var member in json.EnumerateObject())
        {
            // One walk over the members; later duplicates overwrite earlier ones (the last wins, as TryGetProperty reads).
            var value = member.Value;
            if (member.NameEquals("type"u8)) { type = value; }
            else if (member.NameEquals("messageId"u8)) { messageId = value; }
            else if (member.NameEquals("userId"u8)) { userId = value; }
            else if (member.NameEquals("anonymousId"u8)) { anonymousId = value; }
            else if (member.NameEquals("event"u8)) { @event = value; }
            else if (member.NameEquals("name"u8)) { name = value; }
            else if (member.NameEquals("properties"u8)) { properties = value; }
            else if (member.NameEquals("traits"u8)) { traits = value; }
            else if (member.NameEquals("context"u8)) { context = value; }
            else if (member.NameEquals("timestamp"u8)) { timestamp = value; }
            else if (member.NameEquals("originalTimestamp"u8)) { originalTimestamp = value; }
            else if (member.NameEquals("sentAt"u8)) { sentAt = value; }
            else if (member.NameEquals("receivedAt"u8)) { receivedAt = value; }
            else if (member.NameEquals("groupId"u8)) { groupId = value; }
            else if (member.NameEquals("previousId"u8)) { previousId = value; }
            else if (member.NameEquals("category"u8)) { category = value; }
        }

        var typeText = NonEmptyString(type);
        message = new SegmentMessage(json)
        {
            TypeText = typeText,
            Kind = KindOf(typeText),
            TypeField = type,
            MessageIdField = messageId,
            UserIdField = userId,
            AnonymousIdField = anonymousId,
            GroupIdField = groupId,
            PreviousIdField = previousId,
            EventField = @event,
            NameField = name,
            CategoryField = category,
            Properties = properties,
            Traits = traits,
            Context = context,
            Timestamp = timestamp,
            OriginalTimestamp = originalTimestamp,
            SentAt = sentAt,
            ReceivedAt = receivedAt,
        };
        rejection = null;
        return true;
    }

    /// <summary><see cref="TryRead"/>, throwing a <see cref="ErrorClass.RecordRejected"/> <see cref="SluiceException"/> with the reason.</summary>
    public static SegmentMessage Read(JsonElement json) =>
        TryRead(json, out var message, out var rejection) ? message : throw rejection!.ToException();

    /// <summary>
    /// What keeps this call from being a complete Segment call, first problem first: no <c>type</c>, no
    /// <c>messageId</c>, a type that is not one of the six, a track without an <c>event</c> name, a group without a <c>groupId</c>.
    /// Null when it is complete.
    /// </summary>
    public SegmentMessageRejection? Check()
    {
        if (Json.ValueKind is not JsonValueKind.Object)
        {
            return new SegmentMessageRejection(SegmentMessageProblem.NotAnObject, $"a Segment event is a JSON object, not {Json.ValueKind}");
        }

        var type = TypeField;
        if (!Holds(type))
        {
            return new SegmentMessageRejection(SegmentMessageProblem.NoType, "the event has no type");
        }

        var typeText = TypeText ?? type.GetRawText();
        if (!Holds(MessageIdField))
        {
            return new SegmentMessageRejection(SegmentMessageProblem.NoMessageId, $"the {typeText} event has no messageId");
        }

        if (Kind is not { } kind)
        {
            return new SegmentMessageRejection(SegmentMessageProblem.UnknownType,
                $"unknown event type '{typeText}'; expected identify, track, page, screen, group or alias");
        }

        var messageId = MessageId ?? MessageIdField.GetRawText();
        if (kind == SegmentEventType.Track && !Holds(EventField))
        {
            return new SegmentMessageRejection(SegmentMessageProblem.TrackWithoutEvent, $"the track event {messageId} has no event name");
        }

        if (kind == SegmentEventType.Group && !Holds(GroupIdField))
        {
            return new SegmentMessageRejection(SegmentMessageProblem.GroupWithoutGroupId, $"the group event {messageId} has no groupId");
        }

        return null;
    }

    /// <summary>
    /// Whether a field holds a value at all: anything but absent, null or a blank string (a string that is not text,
    /// a lone UTF-16 surrogate, still holds one — how to store it is the reader's rule).
    /// </summary>
    public static bool Holds(JsonElement field) => field.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => false,
        JsonValueKind.String => !TryString(field, out var text) || !string.IsNullOrWhiteSpace(text),
        _ => true,
    };

    /// <summary>
    /// The time in <paramref name="field"/> (one of <see cref="Timestamp"/>, <see cref="OriginalTimestamp"/>,
    /// <see cref="SentAt"/>, <see cref="ReceivedAt"/>): null when absent or not a string; false when it is a string
    /// that is not a date-time.
    /// </summary>
    public static bool TryGetTime(JsonElement field, out DateTimeOffset? time)
    {
        time = null;
        if (field.ValueKind is not JsonValueKind.String)
        {
            return true;
        }

        if (field.TryGetDateTimeOffset(out var exact))
        {
            time = exact.ToUniversalTime();
            return true;
        }

        string text;
        try
        {
            text = field.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        if (text.Length == 0)
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            time = parsed;
            return true;
        }

        return false;
    }

    /// <summary>An id as Segment reads one: a non-blank string, or a number as written (clients send numeric user ids).</summary>
    private static string? IdText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.String when TryString(value, out var text) && !string.IsNullOrWhiteSpace(text) => text,
        _ => null,
    };

    private static string? NonEmptyString(JsonElement value) =>
        value.ValueKind is JsonValueKind.String && TryString(value, out var text) && text.Length > 0 ? text : null;

    /// <summary>A string member's text; false for a lone UTF-16 surrogate, which is not text.</summary>
    private static bool TryString(JsonElement value, out string text)
    {
        try
        {
            text = value.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

    private static string? StringOf(JsonElement value) =>
        value.ValueKind is JsonValueKind.String && TryString(value, out var text) ? text : null;

    private static SegmentEventType? KindOf(string? type)
    {
        if (type is null)
        {
            return null;
        }

        foreach (var name in SegmentEventTypes.All)
        {
            if (string.Equals(name, type, StringComparison.OrdinalIgnoreCase) && SegmentEventTypes.TryParse(name, out var kind))
            {
                return kind;
            }
        }

        return null;
    }
}
