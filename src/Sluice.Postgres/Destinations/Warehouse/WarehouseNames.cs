using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Sluice.Postgres.Destinations.Warehouse.Internal;

namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// Segment's warehouse naming, made safe for PostgreSQL. Every schema, table and column name the warehouse
/// destination creates comes from here, and every result matches <c>^[a-z0-9_]{1,63}$</c>:
/// <list type="number">
/// <item>go-snakecase (<see cref="SnakeCase"/>), exactly as Segment applies it;</item>
/// <item>a name that snake-cases to nothing (<c>日本語</c>, <c>$$$</c>) becomes <c>_x</c> + 8 hex digits of
///   SHA-256 of the original: stable, and no other rule can produce a name starting <c>_x</c>;</item>
/// <item>a leading digit gets a <c>_</c> prefix (<c>5test</c> → <c>_5test</c>): Segment's Postgres rule is
///   undocumented, its Redshift rule and RudderStack's Postgres loader both prefix;</item>
/// <item>a PostgreSQL reserved key word gets a <c>_</c> prefix (<c>order</c> → <c>_order</c>), as RudderStack does;</item>
/// <item>a name over 63 bytes (PostgreSQL's identifier limit, which it would otherwise truncate silently) keeps
///   its first 54 bytes, then <c>_</c> and 8 hex digits of SHA-256 of the whole name, so names that differ only
///   after the cut stay apart.</item>
/// </list>
/// </summary>
internal static class WarehouseNames
{
    /// <summary>PostgreSQL's NAMEDATALEN - 1 (https://www.postgresql.org/docs/current/limits.html).</summary>
    public const int MaxIdentifierBytes = 63;

    /// <summary>Bounds the memory of <see cref="Column"/>: keys past it (a source inventing keys) are named each time.</summary>
    internal const int MaxRememberedColumns = 10_000;

    private const int HashHexDigits = 8;
    private const int KeptBytesWhenTruncated = MaxIdentifierBytes - HashHexDigits - 1;

    /// <summary>Longer keys are named each time: no real property name is this long.</summary>
    private const int MaxRememberedKeyLength = 256;

    private static readonly ConcurrentDictionary<string, string> RememberedColumns = new(StringComparer.Ordinal);
    private static int _rememberedCount;

    /// <summary>Segment's own tables: an event with one of these names gets a <c>_</c>-prefixed table, as does the
    /// loader's <c>discards</c> table, so a track call can never write into them.</summary>
    private static readonly HashSet<string> ReservedTableNames = new(StringComparer.Ordinal)
    {
        "tracks", "pages", "screens", "aliases", "groups", "accounts", "identifies", "users", WarehouseDdl.DiscardsTable,
    };

    /// <summary>go-snakecase, unmodified: ASCII only, no length limit, may be empty or start with a digit.</summary>
    public static string SnakeCase(string name) => GoSnakeCase.Convert(name);

    /// <summary>
    /// A column name: a property, trait or flattened context path joined with <c>_</c>. Every field of every event is
    /// named here, and an event source sends the same few hundred keys again and again: the names are remembered
    /// (<see cref="MaxRememberedColumns"/> of them, then computed each time), so a key is snake-cased once.
    /// </summary>
    public static string Column(string name)
    {
        if (RememberedColumns.TryGetValue(name, out var column))
        {
            return column;
        }

        column = Safe(name);
        // Bounded in count and in each key's length (a hostile source's 30 KB keys would otherwise be kept 10,000 times);
        // a counter of its own, as ConcurrentDictionary.Count takes every lock of the dictionary on each call.
        if (name.Length <= MaxRememberedKeyLength && Volatile.Read(ref _rememberedCount) < MaxRememberedColumns
            && RememberedColumns.TryAdd(name, column))
        {
            Interlocked.Increment(ref _rememberedCount);
        }

        return column;
    }

    /// <summary>A table name. Event tables go through <see cref="EventTable"/>.</summary>
    public static string Table(string name) => Safe(name);

    /// <summary>The table of a track event: <see cref="Table"/>, and <c>_</c> before the name of one of Segment's
    /// own tables (<c>"Tracks"</c> → <c>_tracks</c>). The same name is the <c>event</c> column of <c>tracks</c>.</summary>
    public static string EventTable(string eventName)
    {
        var table = Safe(eventName);
        return ReservedTableNames.Contains(table) ? "_" + table : table;
    }

    /// <summary>The schema of one source, from its slug (Segment: the source slug in lower case with underscores).
    /// Besides the column rules, <c>pg_*</c> (reserved for system schemas) and <c>information_schema</c> get a
    /// <c>_</c> prefix.</summary>
    public static string Schema(string sourceName)
    {
        var schema = Safe(sourceName);
        return schema.StartsWith("pg_", StringComparison.Ordinal) || schema == "information_schema" ? "_" + schema : schema;
    }

    /// <summary>Double-quotes an identifier for SQL text. Always used, even for names that would not need it.</summary>
    public static string Quote(string identifier) => SqlNames.Quote(identifier);

    /// <summary>Whether <paramref name="name"/> can be used as an identifier unchanged: 1 to 63 bytes, no NUL.</summary>
    public static bool IsUsableIdentifier(string name) =>
        name.Length > 0 && !name.Contains('\0', StringComparison.Ordinal) && Encoding.UTF8.GetByteCount(name) <= MaxIdentifierBytes;

    private static string Safe(string name)
    {
        var snake = GoSnakeCase.Convert(name);
        if (snake.Length == 0)
        {
            return "_x" + Hash(name);
        }

        if (char.IsAsciiDigit(snake[0]) || PostgresKeywords.Contains(snake))
        {
            snake = "_" + snake;
        }

        return Truncate(snake);
    }

    private static string Truncate(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        if (bytes.Length <= MaxIdentifierBytes)
        {
            return name;
        }

        // Names are ASCII after go-snakecase; the boundary walk keeps this correct should that ever change.
        var keep = KeptBytesWhenTruncated;
        while (keep > 0 && (bytes[keep] & 0xC0) == 0x80)
        {
            keep--;
        }

        return Encoding.UTF8.GetString(bytes, 0, keep) + "_" + Hash(name);
    }

    private static string Hash(string name) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..HashHexDigits];
}
