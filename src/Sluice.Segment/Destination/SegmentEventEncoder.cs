using System.Buffers;
using System.Globalization;
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

    // context.library's value, the same for every event: written once by a writer, then copied into each event.
    private static readonly byte[] LibraryJson = Library();

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly PayloadSlab _payloads = new();
    private readonly ArrayBufferWriter<byte> _hashInput = new(1024);
    private readonly Dictionary<CompiledField, JsonEncodedText[]> _names = new(ReferenceEqualityComparer.Instance);
    private readonly MessageIdHash _hash = new();
    private readonly Utf8JsonWriter _writer;
    private readonly byte[] _scope;
    private readonly JsonEncodedText _type;
    private readonly SegmentCall _call;
    private readonly JsonValueOptions _types;
    private readonly EventNameTemplate? _event;
    private readonly JsonEncodedText? _fixedEvent;
    private readonly SegmentTransitionOptions? _transition;
    private readonly JsonEncodedText _previousProperty;
    private readonly SegmentDeleteOptions? _onDelete;

    // Resolved once per compiled mapping (one per run), not per record.
    private CompiledMapping? _resolvedFor;
    private int[] _eventOrdinals = [];
    private bool _contextHasLibrary;
    private CompiledField? _userId;
    private CompiledField? _anonymousId;
    private CompiledField? _groupId;
    private CompiledField? _timestamp;
    private CompiledField? _properties;
    private CompiledField? _traits;
    private CompiledField? _context;

    public SegmentEventEncoder(string syncName, SegmentDestinationOptions options)
    {
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
        _scope = Encoding.UTF8.GetBytes(syncName + "\0");
        _call = options.Call;
        _type = JsonEncodedText.Encode(options.Call.ToString().ToLowerInvariant());
        _types = options.Types;
        _event = EventTemplate(options);
        if (_event?.FixedName is { } fixedName)
        {
            _fixedEvent = JsonEncodedText.Encode(fixedName);
        }

        _transition = options.Call == SegmentCall.Track ? options.Transition : null;
        _previousProperty = JsonEncodedText.Encode(_transition?.PreviousProperty ?? "");
        _onDelete = options.OnDelete;
    }

    /// <summary>What a sync making <paramref name="options"/>' call may map, and the columns its event name reads.</summary>
    public static MappingShape Shape(SegmentDestinationOptions options)
    {
        var userId = new MappingTarget("user_id", IsObject: false, Required: false, "the userId: your database's id for the user");
        var anonymousId = new MappingTarget("anonymous_id", IsObject: false, Required: false, "the anonymousId, for users without a userId");
        var timestamp = new MappingTarget("timestamp", IsObject: false, Required: false, "when the change happened (ISO 8601); omit to let Segment use receipt time");
        var context = new MappingTarget("context", IsObject: true, Required: false, "extra context fields (ip, locale, …): name → column");
        // Segment drops any call, group included, that has neither userId nor anonymousId (http-api "Errors": no_user_anon_id).
        IReadOnlyList<IReadOnlyList<string>> identified = [["user_id", "anonymous_id"]];
        return options.Call switch
        {
            SegmentCall.Track => new MappingShape(
                "Segment track",
                [userId, anonymousId, timestamp, new MappingTarget("properties", IsObject: true, Required: false, "the event's properties: property name → column"), context],
                identified)
            {
                ExtraColumns = EventTemplate(options)!.Columns
                    .Select(c => (c, options.EventLocation ?? new Core.Configuration.ConfigLocation("(options)", 0, 0, "destination.event")))
                    .Concat(Watched(options))
                    .ToList(),
                WatchedColumns = Watched(options),
            },
            SegmentCall.Group => new MappingShape(
                "Segment group",
                [
                    new MappingTarget("group_id", IsObject: false, Required: true, "the groupId: your database's id for the account"),
                    userId, anonymousId, timestamp,
                    new MappingTarget("traits", IsObject: true, Required: false, "the account's traits: trait name → column"),
                    context,
                ],
                identified),
            _ => new MappingShape(
                "Segment identify",
                [userId, anonymousId, timestamp, new MappingTarget("traits", IsObject: true, Required: false, "the user's traits: trait name → column"), context],
                identified),
        };
    }

    /// <summary>Returns the event's UTF-8 JSON and its message id.</summary>
    public (ReadOnlyMemory<byte> Payload, string MessageId) Encode(Change change, CompiledMapping mapping)
    {
        Resolve(mapping);
        if (change.Operation == ChangeOperation.Delete)
        {
            return EncodeDeleted(change, mapping);
        }

        _buffer.Clear();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteString("type"u8, _type);
        var identified = WriteIdentity(change, _userId, "userId"u8) | WriteIdentity(change, _anonymousId, "anonymousId"u8);
        if (!identified)
        {
            // Segment answers 200 and silently drops such an event; refusing it here makes it visible.
            throw new SluiceException(ErrorClass.RecordRejected, "user_id and anonymous_id are both NULL; Segment would drop the event");
        }

        if (_call == SegmentCall.Group && !WriteIdentity(change, _groupId, "groupId"u8))
        {
            throw new SluiceException(ErrorClass.RecordRejected, "group_id is NULL; Segment would drop a group call without a groupId");
        }

        if (_call == SegmentCall.Track)
        {
            if (_fixedEvent is { } fixedEvent)
            {
                _writer.WriteString("event"u8, fixedEvent);
            }
            else
            {
                _writer.WriteString("event"u8, _event!.Render(change, _eventOrdinals));
            }
        }

        if (_timestamp is { } timestamp)
        {
            var value = timestamp.Read(change);
            if (value is not null)
            {
                _writer.WritePropertyName("timestamp"u8);
                WriteValue(value, timestamp);
            }
        }

        if (_transition is not null)
        {
            // The value the column moved from, as PostgreSQL wrote it (text), after the mapped properties.
            _writer.WriteStartObject("properties"u8);
            if (_properties is { } properties)
            {
                WriteFields(change, properties);
            }

            _writer.WriteString(_previousProperty, change.Previous?.GetValueOrDefault(_transition.Column));
            _writer.WriteEndObject();
        }
        else if ((_call == SegmentCall.Track ? _properties : _traits) is { } fields)
        {
            _writer.WritePropertyName(_call == SegmentCall.Track ? "properties"u8 : "traits"u8);
            WriteObject(change, fields);
        }

        return Finish(change, distinct: _transition is not null);
    }

    /// <summary>
    /// A deleted record as <c>on_delete</c> says: identified by the mapping's identity fields (the source fills only its
    /// key columns), with the fixed event name and values; never a timestamp (when it was deleted is not known).
    /// </summary>
    private (ReadOnlyMemory<byte> Payload, string MessageId) EncodeDeleted(Change change, CompiledMapping mapping)
    {
        var onDelete = _onDelete ?? throw new InvalidOperationException("a delete reached a Segment destination without 'on_delete' (SyncModes lets none through)");
        _buffer.Clear();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteString("type"u8, onDelete.Call switch
        {
            SegmentCall.Track => "track"u8,
            SegmentCall.Group => "group"u8,
            _ => "identify"u8,
        });
        var identified = WriteIdentity(change, _userId, "userId"u8) | WriteIdentity(change, _anonymousId, "anonymousId"u8);
        if (!identified)
        {
            throw new SluiceException(ErrorClass.RecordRejected,
                "a deleted record has only its key, and neither user_id nor anonymous_id is mapped to a key column; Segment would drop the event");
        }

        if (onDelete.Call == SegmentCall.Group && !WriteIdentity(change, _groupId, "groupId"u8))
        {
            throw new SluiceException(ErrorClass.RecordRejected, "a deleted record has only its key, and group_id is not mapped to a key column; Segment would drop a group call without a groupId");
        }

        if (onDelete.Event is { } eventName)
        {
            _writer.WriteString("event"u8, eventName);
        }

        _writer.WriteStartObject(onDelete.Call == SegmentCall.Track ? "properties"u8 : "traits"u8);
        foreach (var (name, value) in onDelete.Values)
        {
            switch (value)
            {
                case bool flag:
                    _writer.WriteBoolean(name, flag);
                    break;
                case long whole:
                    _writer.WriteNumber(name, whole);
                    break;
                case double number:
                    _writer.WriteNumber(name, number);
                    break;
                default:
                    _writer.WriteString(name, value.ToString());
                    break;
            }
        }

        if (onDelete.Call == SegmentCall.Track && _transition is not null && change.Previous is { } previous && previous.TryGetValue(_transition.Column, out var last))
        {
            // A track sync with a transition stored the watched column: a delete's event says what it last was.
            _writer.WriteString(_previousProperty, last);
        }

        _writer.WriteEndObject();

        // Mapped context reads columns a deleted record no longer has: only the library is sent.
        _writer.WriteStartObject("context"u8);
        WriteLibrary();
        _writer.WriteEndObject();
        _writer.WriteEndObject();
        return WithMessageId(change, distinct: true);
    }

    private (ReadOnlyMemory<byte> Payload, string MessageId) Finish(Change change, bool distinct)
    {
        _writer.WriteStartObject("context"u8);
        if (_context is { } context)
        {
            WriteFields(change, context);
        }

        if (!_contextHasLibrary)
        {
            WriteLibrary();
        }

        _writer.WriteEndObject();
        _writer.WriteEndObject();
        return WithMessageId(change, distinct);
    }

    private void WriteLibrary()
    {
        _writer.WritePropertyName("library"u8);
        _writer.WriteRawValue(LibraryJson, skipInputValidation: true);
    }

    private static byte[] Library()
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("name"u8, "sluice"u8);
            writer.WriteString("version"u8, LibraryVersion);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Appends the message id to the finished event. <paramref name="distinct"/> (a transition, a delete) adds when the
    /// record was last stored to the hash: the same transition twice (paid → trial → paid) has the same content, and
    /// Segment would drop the second as a duplicate; a replay of one still has the same stored time, so the same id.
    /// </summary>
    private (ReadOnlyMemory<byte> Payload, string MessageId) WithMessageId(Change change, bool distinct)
    {
        _writer.Flush();
        var body = _buffer.WrittenSpan;
        var messageId = MessageId(change.Key, body, distinct ? change.StoredAt : null, change.Version);

        // The id is appended after hashing: {"type":…,"context":{…},"messageId":"sluice-…"}
        var payload = _payloads.Take(body.Length - 1 + MessageIdProperty.Length + messageId.Length + 2);
        var bytes = payload.Span;
        body[..^1].CopyTo(bytes);
        var at = body.Length - 1;
        MessageIdProperty.CopyTo(bytes[at..]);
        at += MessageIdProperty.Length;
        at += Encoding.ASCII.GetBytes(messageId, bytes[at..]);
        bytes[at++] = (byte)'"';
        bytes[at] = (byte)'}';
        return (payload, messageId);
    }

    private static List<(string Column, Core.Configuration.ConfigLocation Location)> Watched(SegmentDestinationOptions options) =>
        options.Transition is { } transition
            ? [(transition.Column, transition.Location ?? new Core.Configuration.ConfigLocation("(options)", 0, 0, "destination.transition"))]
            : [];

    private static EventNameTemplate? EventTemplate(SegmentDestinationOptions options)
    {
        if (options.Call != SegmentCall.Track)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(options.Event))
        {
            throw new Core.Configuration.ConfigException(options.EventLocation, "a track call needs an event name",
                "name the event, e.g. 'event: Order Completed', or build it from columns: 'event: \"Plan {plan} Started\"'");
        }

        return EventNameTemplate.Parse(options.Event, options.EventLocation);
    }

    private void Resolve(CompiledMapping mapping)
    {
        if (ReferenceEquals(mapping, _resolvedFor))
        {
            return;
        }

        if (_event is not null)
        {
            _eventOrdinals = _event.Columns.Select(mapping.OrdinalOf).ToArray();
            if (Array.IndexOf(_eventOrdinals, -1) >= 0)
            {
                throw new InvalidOperationException("the mapping was compiled without this destination's Shape, so the event name's columns are not read");
            }
        }

        if (_transition is { } transition && (mapping["properties"]?.Children?.Any(c => c.Target == transition.PreviousProperty) ?? false))
        {
            throw new Core.Configuration.ConfigException(transition.Location,
                $"'properties.{transition.PreviousProperty}' is mapped, but the transition writes the value '{transition.Column}' moved from there",
                $"name the transition's property otherwise, e.g. 'previous: old_{transition.Column}', or rename the mapped one");
        }

        // A mapped context.library replaces ours rather than being written twice.
        _contextHasLibrary = mapping["context"]?.Children?.Any(c => c.Target == "library") ?? false;

        // Looked up once per mapping: by name for every record, they were a tenth of the encoder's own time.
        _userId = mapping["user_id"];
        _anonymousId = mapping["anonymous_id"];
        _groupId = mapping["group_id"];
        _timestamp = mapping["timestamp"];
        _properties = mapping["properties"];
        _traits = mapping["traits"];
        _context = mapping["context"];
        _resolvedFor = mapping;
    }

    private string MessageId(string key, ReadOnlySpan<byte> body, DateTimeOffset? storedAt, string? version)
    {
        // SHA-256 over "sync\0key\0event[stored at][\0version]", in one reused buffer: no allocation per record but the id itself.
        var keyBytes = Encoding.UTF8.GetMaxByteCount(key.Length) + 1;
        var versionBytes = version is null ? 0 : Encoding.UTF8.GetMaxByteCount(version.Length) + 1;
        var input = _hashInput.GetSpan(_scope.Length + keyBytes + body.Length + sizeof(long) + versionBytes);
        _scope.CopyTo(input);
        var at = _scope.Length + Encoding.UTF8.GetBytes(key, input[_scope.Length..]);
        input[at++] = 0;
        body.CopyTo(input[at..]);
        at += body.Length;
        if (storedAt is { } stored)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(input[at..], stored.UtcTicks);
            at += sizeof(long);
        }

        if (version is not null)
        {
            // A source's own version of the change (a WAL position): the same content at two positions is two events.
            input[at++] = 0;
            at += Encoding.UTF8.GetBytes(version, input[at..]);
        }

        Span<byte> digest = stackalloc byte[32];
        _hash.Hash(input[..at], digest);

        // Prefix and hex written into one span: the id is the only string allocated.
        Span<char> id = stackalloc char[MessageIdPrefix.Length + 32];
        MessageIdPrefix.CopyTo(id);
        Convert.TryToHexStringLower(digest[..16], id[MessageIdPrefix.Length..], out _);
        return new string(id);
    }

    private bool WriteIdentity(Change change, CompiledField? field, ReadOnlySpan<byte> property)
    {
        if (field is null || field.Read(change) is not { } value)
        {
            return false;
        }

        if (value is UnreadableValue unreadable)
        {
            throw new SluiceException(ErrorClass.RecordRejected, unreadable.Reason);
        }

        if (value is long or int)
        {
            // The common integer id, as its invariant digits (what ToString gives) without a string per record.
            Span<byte> digits = stackalloc byte[20];
            var whole = value is long number ? number : (int)value;
            whole.TryFormat(digits, out var length, default, CultureInfo.InvariantCulture);
            _writer.WriteString(property, digits[..length]);
            return true;
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
        WriteFields(change, branch);
        _writer.WriteEndObject();
    }

    private void WriteFields(Change change, CompiledField branch)
    {
        var children = branch.Children!;
        var names = NamesOf(branch);
        for (var i = 0; i < names.Length; i++)
        {
            var field = children[i];
            if (field.IsBranch)
            {
                _writer.WritePropertyName(names[i]);
                WriteObject(change, field);
                continue;
            }

            var value = field.Read(change);
            switch (value)
            {
                case string text when field.Column!.Type != ColumnType.Json:
                    // What JsonValueWriter.WriteProperty writes for text and integers (the name, the value), in one call:
                    // most traits and properties of a table row are these, and the general path tests the type twice.
                    _writer.WriteString(names[i], text);
                    continue;
                case long number:
                    _writer.WriteNumber(names[i], number);
                    continue;
                case UnreadableValue unreadable:
                    throw new SluiceException(ErrorClass.RecordRejected, unreadable.Reason);
            }

            JsonValueWriter.WriteProperty(_writer, names[i], value, field.Column!.Type, _types);
        }
    }

    /// <summary>
    /// A branch's property names, escaped once and looked up once per record and branch: looked up per field, the lookups
    /// were ≈ 0.7% of a table sync's samples (seven traits, so seven lookups a row).
    /// </summary>
    private JsonEncodedText[] NamesOf(CompiledField branch)
    {
        if (!_names.TryGetValue(branch, out var names))
        {
            names = branch.Children!.Select(field => JsonEncodedText.Encode(field.Target)).ToArray();
            _names[branch] = names;
        }

        return names;
    }

    private void WriteValue(object? value, CompiledField field)
    {
        if (value is UnreadableValue unreadable)
        {
            throw new SluiceException(ErrorClass.RecordRejected, unreadable.Reason);
        }

        JsonValueWriter.Write(_writer, value, field.Column!.Type, _types);
    }
}
