using System.Security.Cryptography;
using System.Text;
using Sluice.Postgres.Destinations.Warehouse;

namespace Sluice.Postgres.Destinations;

/// <summary>
/// Names of the tables an events-table destination writes, made from event types that come from the outside
/// (anyone holding the write key chooses them): always a valid, bounded identifier, and always quoted in SQL.
/// </summary>
internal static class EventsTableNames
{
    private const int HashHexDigits = 8;

    /// <summary>
    /// <c>&lt;table&gt;_&lt;event_type&gt;</c> (P5): the event type in go-snakecase as Segment's warehouses name event
    /// tables (<c>Order Completed</c> → <c>order_completed</c>; a type with no ASCII letter or digit → <c>_x</c> and a
    /// hash of it). A name over 63 bytes, which PostgreSQL would cut silently, keeps its first 54 bytes and gets
    /// <c>_</c> and 8 hex digits of SHA-256 of the whole name, so two long types never share a table.
    /// </summary>
    public static string ForEventType(string table, string eventType)
    {
        var suffix = WarehouseNames.SnakeCase(eventType);
        if (suffix.Length == 0)
        {
            suffix = WarehouseNames.Table(eventType);
        }

        return Bounded(table + "_" + suffix);
    }

    /// <summary>A name derived from a table's (an index's), within PostgreSQL's 63 bytes.</summary>
    public static string Derived(string table, string suffix) => Bounded(table + "_" + suffix);

    private static string Bounded(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        if (bytes.Length <= WarehouseNames.MaxIdentifierBytes)
        {
            return name;
        }

        // The table part is the user's and may be any UTF-8: cut on a character boundary.
        var keep = WarehouseNames.MaxIdentifierBytes - HashHexDigits - 1;
        while (keep > 0 && (bytes[keep] & 0xC0) == 0x80)
        {
            keep--;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..HashHexDigits];
        return Encoding.UTF8.GetString(bytes, 0, keep) + "_" + hash;
    }
}
