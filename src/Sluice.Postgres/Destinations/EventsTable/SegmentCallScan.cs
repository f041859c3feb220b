using System.Buffers;
using System.Text.Json;

namespace Sluice.Postgres.Destinations;

/// <summary>
/// What the events table takes from a Segment call, found in one forward read of its UTF-8 JSON: the raw values of the
/// top-level members it has columns for (last one wins, as <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>
/// reads a duplicate), and the call without <c>properties</c>/<c>traits</c> (its metadata) copied member by member.
/// </summary>
/// <remarks>
/// Landing parsed every event into a <see cref="JsonDocument"/>, walked its members, then read the whole call again to
/// copy the metadata: three passes and a document per event, about half of building its row. The reader validates
/// the whole text as it goes (as the document did: one value, no trailing content, the default depth), so what it
/// accepts and refuses is unchanged. Values are kept as ranges of the text read.
/// </remarks>
internal struct SegmentCallScan
{
    public Range Type, Event, Timestamp, OriginalTimestamp, UserId, AnonymousId, Properties, Traits;

    /// <summary>The call without its <c>properties</c> and <c>traits</c> members, as JSON, in the members' order.</summary>
    public byte[] Metadata;

    /// <summary>
    /// Reads <paramref name="json"/>; <c>false</c> with the JSON kind of the root (<c>array</c>, <c>string</c>, …) when it
    /// is not an object. Throws <see cref="JsonException"/> when it is not valid JSON.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> json, out SegmentCallScan scan, out string? rootKind)
    {
        scan = default;
        rootKind = null;
        var reader = new Utf8JsonReader(json);
        if (!reader.Read())
        {
            throw new JsonException("the text holds no JSON value");
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            rootKind = KindOf(reader.TokenType);
            // The rest must still be one valid value, as a document parse would have checked.
            reader.Skip();
            EnsureEnd(ref reader);
            return false;
        }

        var rented = ArrayPool<byte>.Shared.Rent(json.Length + 2);
        try
        {
            var length = 0;
            rented[length++] = (byte)'{';
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var memberStart = (int)reader.TokenStartIndex;
                var member = MemberOf(ref reader);
                reader.Read();
                var valueStart = (int)reader.TokenStartIndex;
                reader.Skip();
                var end = (int)reader.BytesConsumed;
                var value = valueStart..end;
                switch (member)
                {
                    case Member.Properties: scan.Properties = value; break;
                    case Member.Traits: scan.Traits = value; break;
                    case Member.Type: scan.Type = value; break;
                    case Member.Event: scan.Event = value; break;
                    case Member.Timestamp: scan.Timestamp = value; break;
                    case Member.OriginalTimestamp: scan.OriginalTimestamp = value; break;
                    case Member.UserId: scan.UserId = value; break;
                    case Member.AnonymousId: scan.AnonymousId = value; break;
                }

                if (member is not (Member.Properties or Member.Traits))
                {
                    if (length > 1)
                    {
                        rented[length++] = (byte)',';
                    }

                    json[memberStart..end].CopyTo(rented.AsSpan(length));
                    length += end - memberStart;
                }
            }

            EnsureEnd(ref reader);
            rented[length++] = (byte)'}';
            scan.Metadata = rented.AsSpan(0, length).ToArray();
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The raw JSON of a member of <paramref name="json"/> (the text read), empty when the call does not have it.</summary>
    public static ReadOnlySpan<byte> Raw(ReadOnlySpan<byte> json, Range member) => member.Equals(default(Range)) ? default : json[member];

    /// <summary>Whether the call has the member (with any value, null included).</summary>
    public static bool Has(Range member) => !member.Equals(default(Range));

    /// <summary>Which of the members read the property name the reader is on names.</summary>
    private static Member MemberOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("properties"u8) ? Member.Properties
        : reader.ValueTextEquals("traits"u8) ? Member.Traits
        : reader.ValueTextEquals("type"u8) ? Member.Type
        : reader.ValueTextEquals("event"u8) ? Member.Event
        : reader.ValueTextEquals("timestamp"u8) ? Member.Timestamp
        : reader.ValueTextEquals("originalTimestamp"u8) ? Member.OriginalTimestamp
        : reader.ValueTextEquals("userId"u8) ? Member.UserId
        : reader.ValueTextEquals("anonymousId"u8) ? Member.AnonymousId
        : Member.Other;

    /// <summary>Nothing but whitespace may follow the value.</summary>
    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException("content after the end of the JSON value");
        }
    }

    private static string KindOf(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => token.ToString().ToLowerInvariant(),
    };

    private enum Member
    {
        Other,
        Properties,
        Traits,
        Type,
        Event,
        Timestamp,
        OriginalTimestamp,
        UserId,
        AnonymousId,
    }
}
