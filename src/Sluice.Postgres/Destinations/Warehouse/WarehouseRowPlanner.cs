using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Postgres.Destinations.Warehouse.Internal;
using Sluice.Segment.Protocol;

namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// Turns one Segment event, after Segment's timestamp processing (it has <c>messageId</c>, <c>receivedAt</c>,
/// <c>timestamp</c>…), into the rows of Segment's warehouse schema (segment.md §2.1–2.2):
/// <list type="bullet">
/// <item>identify → <c>identifies</c>, and <c>users</c> (id = userId, latest state) when userId is not blank;</item>
/// <item>track → <c>tracks</c> (standard columns and context only) and the event's own table (with properties);</item>
/// <item>page → <c>pages</c>; screen → <c>screens</c>; alias → <c>aliases</c>;</item>
/// <item>group → <c>groups</c>, and <c>accounts</c> (id = groupId, latest state).</item>
/// </list>
/// Types are inferred from the values alone; <see cref="WarehouseTypeReconciler"/> then fits them to the columns
/// that already exist. Fields Segment does not load (<c>integrations</c>, <c>_metadata</c>, <c>writeKey</c>,
/// <c>channel</c>, <c>version</c>…) are ignored.
/// </summary>
internal static class WarehouseRowPlanner
{
    /// <summary>The size of every <c>id</c> column, <c>varchar(1024)</c>.</summary>
    public const int MaxIdLength = 1024;

    /// <summary>
    /// The rows of one event, with the values discarded on the way. Throws a <see cref="SluiceException"/> of class
    /// <see cref="ErrorClass.RecordRejected"/> for an event no row can be made of: not an object, no or unknown
    /// <c>type</c>, no <c>messageId</c> (every row's key) or one over 1024 characters, a track without an
    /// <c>event</c>, a group without a <c>groupId</c>.
    /// </summary>
    public static WarehousePlan Plan(JsonElement json)
    {
        var message = SegmentMessage.Read(json);
        if (message.Check() is { } problem)
        {
            throw problem.Problem switch
            {
                SegmentMessageProblem.NoMessageId => problem.ToException(", which is the key of its warehouse rows"),
                SegmentMessageProblem.TrackWithoutEvent => problem.ToException(", so it has no table"),
                _ => problem.ToException(),
            };
        }

        // The id as the rows store it: text, with a character PostgreSQL cannot hold replaced.
        var messageId = WarehouseTypes.AsText(message.MessageIdField)!;
        if (messageId.Length > MaxIdLength)
        {
            throw Rejected($"the messageId is {messageId.Length} characters long; warehouse ids hold at most {MaxIdLength}");
        }

        var planner = new EventRows(message, messageId);
        switch (message.Kind)
        {
            case SegmentEventType.Identify:
                planner.Add(WarehouseTableKind.Identifies, "identifies", messageId, "traits");
                planner.AddLatestState(WarehouseTableKind.Users, "users", "userId", "traits");
                break;
            case SegmentEventType.Track:
                planner.Add(WarehouseTableKind.Tracks, "tracks", messageId, payload: null);
                planner.Add(WarehouseTableKind.Event, WarehouseNames.EventTable(WarehouseTypes.AsText(message.EventField)!), messageId, "properties");
                break;
            case SegmentEventType.Page:
                planner.Add(WarehouseTableKind.Pages, "pages", messageId, "properties");
                break;
            case SegmentEventType.Screen:
                planner.Add(WarehouseTableKind.Screens, "screens", messageId, "properties");
                break;
            case SegmentEventType.Group:
                planner.Add(WarehouseTableKind.Groups, "groups", messageId, "traits");
                planner.AddLatestState(WarehouseTableKind.Accounts, "accounts", "groupId", "traits");
                break;
            default:
                planner.Add(WarehouseTableKind.Aliases, "aliases", messageId, payload: null);
                break;
        }

        return new WarehousePlan(planner.Rows, planner.Discards);
    }

    private static SluiceException Rejected(string message) => new(ErrorClass.RecordRejected, message);

    /// <summary>The rows of one event under construction.</summary>
    private sealed class EventRows(SegmentMessage message, string messageId)
    {
        private readonly DateTimeOffset? _receivedAt =
            message.ReceivedAt is { ValueKind: JsonValueKind.String } r && IsoTimestamp.TryParse(r.GetString()!, out var utc) ? utc : null;

        /// <summary>The context's columns, flattened once: a track's two rows (and an identify's or a group's) carry the same.</summary>
        private FlattenedFields? _context;

        /// <summary>The timestamps read so far, by field: each row of the event has the same four.</summary>
        private Dictionary<string, WarehouseCell>? _timestamps;

        public List<WarehouseRow> Rows { get; } = [];

        public List<WarehouseDiscard> Discards { get; } = [];

        /// <summary><c>users</c> or <c>accounts</c>: keyed by userId or groupId, when there is one that fits.</summary>
        public void AddLatestState(WarehouseTableKind kind, string table, string idField, string payload)
        {
            var id = WarehouseTypes.AsText(Field(idField));
            if (string.IsNullOrWhiteSpace(id))
            {
                return;
            }

            if (id.Length > MaxIdLength)
            {
                Discards.Add(new WarehouseDiscard(table, messageId, WarehouseColumns.Id, id, _receivedAt,
                    $"{idField} is {id.Length} characters long; {table}.id holds at most {MaxIdLength}, so no {table} row was written"));
                return;
            }

            Add(kind, table, id, payload, idField);
        }

        /// <param name="idField">The field <paramref name="id"/> was read from.</param>
        public void Add(WarehouseTableKind kind, string table, string id, string? payload, string idField = "messageId")
        {
            var cells = new List<WarehouseCell>();
            foreach (var column in WarehouseColumns.Standard(kind))
            {
                if (Standard(kind, table, id, idField, column) is { } cell)
                {
                    cells.Add(cell);
                }
            }

            var context = _context ??= EventFlattener.Flatten(Field("context"), "context", null, "context");
            cells.AddRange(context.Cells);
            Discard(table, id, context.Rejected, cells);

            if (payload is not null)
            {
                var fields = EventFlattener.Flatten(Field(payload), null, c => WarehouseColumns.IsReserved(kind, c), payload);
                cells.AddRange(fields.Cells);
                Discard(table, id, fields.Rejected, cells);
                AddTopLevelCategory(kind, cells);
            }

            foreach (var cell in cells.Where(c => c.AsSent is not null))
            {
                Discards.Add(new WarehouseDiscard(table, id, cell.Column, cell.AsSent, _receivedAt,
                    "the string holds NUL or a lone UTF-16 surrogate, which PostgreSQL text cannot store; the row has U+FFFD in its place, and this is the string as sent (JSON)"));
            }

            Rows.Add(new WarehouseRow(table, kind, id, cells, _receivedAt));
        }

        private WarehouseCell? Standard(WarehouseTableKind kind, string table, string id, string idField, WarehouseColumn column) => column.Name switch
        {
            WarehouseColumns.Id => new WarehouseCell(column.Name, WarehouseType.Id, id, id) { AsSent = AsSent(idField) },
            WarehouseColumns.UuidTs => null,
            WarehouseColumns.ReceivedAt => Timestamp(table, id, column.Name, "receivedAt"),
            WarehouseColumns.SentAt => Timestamp(table, id, column.Name, "sentAt"),
            WarehouseColumns.Timestamp => Timestamp(table, id, column.Name, "timestamp"),
            WarehouseColumns.OriginalTimestamp => Timestamp(table, id, column.Name, "originalTimestamp"),
            WarehouseColumns.AnonymousId => WarehouseTypes.InferText(column.Name, Field("anonymousId")),
            WarehouseColumns.UserId => WarehouseTypes.InferText(column.Name, Field("userId")),
            WarehouseColumns.GroupId => WarehouseTypes.InferText(column.Name, Field("groupId")),
            WarehouseColumns.PreviousId => WarehouseTypes.InferText(column.Name, Field("previousId")),
            // The join key to the event's table: exactly its name (segment.md §2.2, "event").
            WarehouseColumns.Event => Cell(column.Name, WarehouseNames.EventTable(WarehouseTypes.AsText(message.EventField) ?? "")),
            WarehouseColumns.EventText => WarehouseTypes.InferText(column.Name, Field("event")),
            // Pages and screens: the call's name, else properties.name (which is then not discarded).
            WarehouseColumns.Name => WarehouseTypes.InferText(column.Name, Field("name"))
                ?? (Field("properties") is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("name", out var n)
                    ? WarehouseTypes.InferText(column.Name, n) : null),
            _ => throw new InvalidOperationException($"no source for the standard column {column.Name} of {kind}"),
        };

        private WarehouseCell? Timestamp(string table, string id, string column, string field)
        {
            if (_timestamps is not null && _timestamps.TryGetValue(field, out var parsed))
            {
                return parsed;
            }

            var value = Field(field);
            if (WarehouseTypes.AsText(value) is not { } text)
            {
                return null;
            }

            if (value.ValueKind is JsonValueKind.String && IsoTimestamp.TryParse(text, out var utc))
            {
                var cell = new WarehouseCell(column, WarehouseType.TimestampTz, IsoTimestamp.Format(utc), text);
                (_timestamps ??= new Dictionary<string, WarehouseCell>(4, StringComparer.Ordinal))[field] = cell;
                return cell;
            }

            Discards.Add(new WarehouseDiscard(table, id, column, text, _receivedAt, $"{field} is not an ISO-8601 date-time"));
            return null;
        }

        /// <summary>A reserved field is reported unless its value is already in the row under that column (the
        /// analytics.js page call copies <c>name</c> into <c>properties.name</c>: nothing is lost there).</summary>
        private void Discard(string table, string id, IReadOnlyList<RejectedField> rejected, List<WarehouseCell> cells)
        {
            foreach (var field in rejected)
            {
                if (cells.Any(c => c.Column == field.Column && c.Raw == field.Raw))
                {
                    continue;
                }

                Discards.Add(new WarehouseDiscard(table, id, field.Column, field.Raw, _receivedAt, field.Reason));
            }
        }

        /// <summary>Libraries copy a page's or screen's <c>category</c> into <c>properties.category</c>; an HTTP
        /// caller may send it only at the top level, and it is kept then.</summary>
        private void AddTopLevelCategory(WarehouseTableKind kind, List<WarehouseCell> cells)
        {
            const string category = "category";
            if (kind is WarehouseTableKind.Pages or WarehouseTableKind.Screens
                && cells.All(c => c.Column != category)
                && WarehouseTypes.InferText(category, Field(category)) is { } cell)
            {
                cells.Add(cell);
            }
        }

        private string? AsSent(string field)
        {
            WarehouseTypes.AsText(Field(field), out var asSent);
            return asSent;
        }

        /// <summary>A field of the call, by its name in the Spec.</summary>
        private JsonElement Field(string name) => name switch
        {
            "userId" => message.UserIdField,
            "anonymousId" => message.AnonymousIdField,
            "groupId" => message.GroupIdField,
            "previousId" => message.PreviousIdField,
            "messageId" => message.MessageIdField,
            "event" => message.EventField,
            "name" => message.NameField,
            "category" => message.CategoryField,
            "properties" => message.Properties,
            "traits" => message.Traits,
            "context" => message.Context,
            "timestamp" => message.Timestamp,
            "originalTimestamp" => message.OriginalTimestamp,
            "sentAt" => message.SentAt,
            "receivedAt" => message.ReceivedAt,
            _ => throw new InvalidOperationException($"the warehouse reads no field '{name}' of a Segment call"),
        };

        private static WarehouseCell Cell(string column, string text) => new(column, WarehouseType.Text, text, text);
    }
}
