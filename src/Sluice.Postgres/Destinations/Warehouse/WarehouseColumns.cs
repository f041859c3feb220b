using System.Collections.Frozen;

namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// The standard columns of each of Segment's tables (segment.md §2.2) and the reserved names that a property or
/// trait may not take (§2.4): Segment "discards properties with the same name as the reserved column name".
/// </summary>
internal static class WarehouseColumns
{
    public const string Id = "id";
    public const string ReceivedAt = "received_at";

    /// <summary>When the loader wrote the row. Not in planned rows: the loader sets it at load time.</summary>
    public const string UuidTs = "uuid_ts";
    public const string AnonymousId = "anonymous_id";
    public const string UserId = "user_id";
    public const string SentAt = "sent_at";
    public const string Timestamp = "timestamp";
    public const string OriginalTimestamp = "original_timestamp";
    public const string Event = "event";
    public const string EventText = "event_text";
    public const string Name = "name";
    public const string GroupId = "group_id";
    public const string PreviousId = "previous_id";

    /// <summary>Context columns are <c>context_</c> + the flattened path; a property or trait may not enter that
    /// namespace.</summary>
    public const string ContextPrefix = "context_";

    /// <summary>Reserved in every table. <c>uuid</c> and <c>loaded_at</c> are Segment columns on other warehouses.</summary>
    private static readonly string[] CommonReserved =
        [Id, ReceivedAt, UuidTs, "uuid", "loaded_at", AnonymousId, UserId, SentAt, Timestamp, OriginalTimestamp];

    private static readonly FrozenDictionary<WarehouseTableKind, IReadOnlyList<WarehouseColumn>> StandardByKind =
        new Dictionary<WarehouseTableKind, IReadOnlyList<WarehouseColumn>>
        {
            [WarehouseTableKind.Identifies] = Standard(AnonymousId, OriginalTimestamp, SentAt, Timestamp, UserId),
            [WarehouseTableKind.Users] = Standard(),
            [WarehouseTableKind.Tracks] = Standard(AnonymousId, Event, EventText, OriginalTimestamp, SentAt, Timestamp, UserId),
            [WarehouseTableKind.Event] = Standard(AnonymousId, Event, EventText, OriginalTimestamp, SentAt, Timestamp, UserId),
            [WarehouseTableKind.Pages] = Standard(AnonymousId, Name, OriginalTimestamp, SentAt, Timestamp, UserId),
            [WarehouseTableKind.Screens] = Standard(AnonymousId, Name, OriginalTimestamp, SentAt, Timestamp, UserId),
            [WarehouseTableKind.Groups] = Standard(AnonymousId, GroupId, OriginalTimestamp, SentAt, Timestamp, UserId),
            [WarehouseTableKind.Accounts] = Standard(UserId),
            [WarehouseTableKind.Aliases] = Standard(OriginalTimestamp, PreviousId, SentAt, Timestamp, UserId),
        }.ToFrozenDictionary();

    private static readonly FrozenDictionary<WarehouseTableKind, FrozenSet<string>> ReservedByKind =
        Enum.GetValues<WarehouseTableKind>().ToFrozenDictionary(
            kind => kind,
            kind => CommonReserved.Concat(StandardByKind[kind].Select(c => c.Name)).Concat(Extra(kind)).ToFrozenSet(StringComparer.Ordinal));

    /// <summary>The standard columns of a table, in Segment's order: <c>id</c>, <c>received_at</c>,
    /// <c>uuid_ts</c>, then the call's fields. A new table is created with all of them.</summary>
    public static IReadOnlyList<WarehouseColumn> Standard(WarehouseTableKind kind) => StandardByKind[kind];

    /// <summary>Whether a property or trait that maps to <paramref name="column"/> must be discarded from a row of
    /// <paramref name="kind"/>: a standard column of any Segment table of that kind, or the context namespace.</summary>
    public static bool IsReserved(WarehouseTableKind kind, string column) =>
        ReservedByKind[kind].Contains(column) || column.StartsWith(ContextPrefix, StringComparison.Ordinal);

    /// <summary>The fixed type of a standard column.</summary>
    public static WarehouseType TypeOf(string standardColumn) => standardColumn switch
    {
        Id => WarehouseType.Id,
        ReceivedAt or UuidTs or SentAt or Timestamp or OriginalTimestamp => WarehouseType.TimestampTz,
        _ => WarehouseType.Text,
    };

    // users and accounts carry the traits of identifies and groups; the same traits are discarded from both.
    private static IEnumerable<string> Extra(WarehouseTableKind kind) => kind switch
    {
        WarehouseTableKind.Accounts => [GroupId],
        _ => [],
    };

    private static IReadOnlyList<WarehouseColumn> Standard(params string[] callColumns) =>
        new[] { Id, ReceivedAt, UuidTs }.Concat(callColumns).Select(c => new WarehouseColumn(c, TypeOf(c))).ToArray();
}
