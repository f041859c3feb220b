using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Segment.Destination;

/// <summary>
/// Writes one record as a Segment Spec event and gives it a deterministic <c>messageId</c>: a hash of
/// the sync, the record key and the event's content. The same record version therefore always gets the
/// same id, and Segment drops a resend of it (its dedup keeps ids for about 24 hours).
/// Not thread-safe: one encoder per producer.
/// </summary>
internal sealed class SegmentEventEncoder
{
    // Segment's messageId is at most 100 characters; "sluice-" and 128 bits in hex is 39.
    private const string MessageIdPrefix = "sluice-";
    private static readonly byte[] MessageIdProperty = Encoding.UTF8.GetBytes(",\"messageId\":\"");
    private static readonly string LibraryVersion = typeof(SegmentEventEncoder).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly ArrayBufferWriter<byte> _hashInput = new(1024);
    private readonly Dictionary<CompiledField, JsonEncodedText> _names = new(ReferenceEqualityComparer.Instance);
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Utf8JsonWriter _writer;
    private readonly byte[] _scope;
    private readonly string _type;

    public SegmentEventEncoder(string syncName, SegmentCall call)
    {
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
        _scope = Encoding.UTF8.GetBytes(syncName + "\0");
        _type = call.ToString().ToLowerInvariant();
    }

    public static Core.Mapping.MappingShape Shape(SegmentCall call) => call switch
    {
        _ => new MappingShape(
            "Segment identify",
            [
                new MappingTarget("user_id", IsObject: false, Required: false, "the userId: your database's id for the user"),
                new MappingTarget("anonymous_id", IsObject: false, Required: false, "the anonymousId, for users without a userId"),
                new MappingTarget("timestamp", IsObject: false, Required: false, "when the change happened (ISO 8601); omit to let Segment use receipt time"),
                new MappingTarget("traits", IsObject: true, Required: false, "the user's traits: trait name → column"),
            ],
            [["user_id", "anonymous_id"]]),
    };

    /// <summary>Returns the event's UTF-8 JSON and its message id.</summary>
    public (byte[] Payload, string MessageId) Encode(Change change, CompiledMapping mapping)
    {
        _buffer.Clear();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteString("type"u8, _type);
        var identified = WriteIdentity(change, mapping, "user_id", "userId"u8) | WriteIdentity(change, mapping, "anonymous_id", "anonymousId"u8);
        if (!identified)
        {
            // Segment answers 200 and silently drops such an event; refusing it here makes it visible.
            throw new SluiceException(ErrorClass.RecordRejected, "user_id and anonymous_id are both NULL; Segment would drop the event");
        }

        if (mapping["timestamp"] is { } timestamp)
        {
            var value = timestamp.Read(change);
            if (value is not null)
            {
                _writer.WritePropertyName("timestamp"u8);
                WriteValue(value, timestamp);
            }
        }

        if (mapping["traits"] is { } traits)
        {
            _writer.WritePropertyName("traits"u8);
            WriteObject(change, traits);
        }

        _writer.WriteStartObject("context"u8);
        _writer.WriteStartObject("library"u8);
        _writer.WriteString("name"u8, "sluice"u8);
        _writer.WriteString("version"u8, LibraryVersion);
        _writer.WriteEndObject();
        _writer.WriteEndObject();
        _writer.WriteEndObject();
        _writer.Flush();

        var body = _buffer.WrittenSpan;
        var messageId = MessageId(change.Key, body);

        // The id is appended after hashing: {"type":…,"context":{…},"messageId":"sluice-…"}
        var payload = new byte[body.Length - 1 + MessageIdProperty.Length + messageId.Length + 2];
        body[..^1].CopyTo(payload);
        var at = body.Length - 1;
        MessageIdProperty.CopyTo(payload.AsSpan(at));
        at += MessageIdProperty.Length;
        at += Encoding.ASCII.GetBytes(messageId, payload.AsSpan(at));
        payload[at++] = (byte)'"';
        payload[at] = (byte)'}';
        return (payload, messageId);
    }

    private string MessageId(string key, ReadOnlySpan<byte> body)
    {
        // SHA-256 over "sync\0key\0event", in one reused buffer: no allocation per record but the id itself.
        var keyBytes = Encoding.UTF8.GetMaxByteCount(key.Length) + 1;
        var input = _hashInput.GetSpan(_scope.Length + keyBytes + body.Length);
        _scope.CopyTo(input);
        var at = _scope.Length + Encoding.UTF8.GetBytes(key, input[_scope.Length..]);
        input[at++] = 0;
        body.CopyTo(input[at..]);
        Span<byte> digest = stackalloc byte[32];
        // One reused hash context: a one-shot SHA256.HashData sets up and tears down OpenSSL state every call.
        _hash.AppendData(input[..(at + body.Length)]);
        _hash.GetHashAndReset(digest);
        return MessageIdPrefix + Convert.ToHexStringLower(digest[..16]);
    }

    private bool WriteIdentity(Change change, CompiledMapping mapping, string target, ReadOnlySpan<byte> property)
    {
        if (mapping[target] is not { } field || field.Read(change) is not { } value)
        {
            return false;
        }

        if (value is UnreadableValue unreadable)
        {
            throw new SluiceException(ErrorClass.RecordRejected, unreadable.Reason);
        }

        // Segment ids are strings; a bigint id 42 becomes "42".
        var text = value switch
        {
            string s => s,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        if (text.Length == 0)
        {
            return false;
        }

        _writer.WriteString(property, text);
        return true;
    }

    private void WriteObject(Change change, CompiledField branch)
    {
        _writer.WriteStartObject();
        foreach (var field in branch.Children!)
        {
            _writer.WritePropertyName(NameOf(field));
            if (field.IsBranch)
            {
                WriteObject(change, field);
            }
            else
            {
                WriteValue(field.Read(change), field);
            }
        }

        _writer.WriteEndObject();
    }

    /// <summary>Property names escaped once per field, not once per record.</summary>
    private JsonEncodedText NameOf(CompiledField field)
    {
        if (!_names.TryGetValue(field, out var name))
        {
            name = JsonEncodedText.Encode(field.Target);
            _names[field] = name;
        }

        return name;
    }

    private void WriteValue(object? value, CompiledField field)
    {
        if (value is UnreadableValue unreadable)
        {
            throw new SluiceException(ErrorClass.RecordRejected, unreadable.Reason);
        }

        JsonValueWriter.Write(_writer, value, field.Column!.Type);
    }
}
