using System.Globalization;

namespace Sluice.Postgres.Sources;

/// <summary>
/// A read's PostgreSQL snapshot (<c>pg_current_snapshot()</c>) and what it read, kept by a table-shaped query source so
/// that the next run can tell the rows that cannot have changed since: those whose <c>xmin</c> — the transaction that
/// wrote the row version — had ended before this snapshot was taken.
/// </summary>
/// <remarks>
/// <para>The rule: a row is vouched for when its <c>xmin</c>, widened to 64 bits against the current snapshot, is below the
/// last complete read's snapshot <c>xmin</c> (every transaction below it had ended, subtransactions included, so the row
/// version was visible to that read, which handled it). Everything else — a transaction that was in flight then and
/// committed later, a newer one, a rolled-back one's row never being visible at all — is fetched and fingerprinted.
/// The <c>xip</c> list is not used: it lists top-level transactions only, and a row written in a savepoint carries its
/// subtransaction's id.</para>
/// <para>Widening is exact for every row written since the last read as long as fewer than 2^31 transactions have
/// started since (checked: <see cref="CanVouchSince"/>; past that the run falls back to fingerprints). A frozen row keeps
/// its raw <c>xmin</c>: widened wrongly, it can only look newer than it is (a needless fetch), never older than a change.
/// A snapshot from another cluster (a dump restored elsewhere, whose transaction ids mean nothing here) or another
/// database, or whose shape differs (another query, key, mapping), vouches for nothing.</para>
/// </remarks>
internal sealed class QuerySourceSnapshot(ulong xmin, ulong xmax, string cluster, string shape)
{
    /// <summary>How far transaction ids may have moved since the last read for a 32-bit <c>xmin</c> to widen exactly.</summary>
    private const ulong WideningRange = 1UL << 31;

    /// <summary>The oldest transaction still running when the snapshot was taken (every older one had ended).</summary>
    public ulong Xmin { get; } = xmin;

    /// <summary>One past the newest transaction that had started when the snapshot was taken.</summary>
    public ulong Xmax { get; } = xmax;

    /// <summary>The cluster (its system identifier) and the database (its oid) the snapshot was taken in.</summary>
    public string Cluster { get; } = cluster;

    /// <summary>A hash of what was read (query, key, columns, watched columns): another shape is another read.</summary>
    public string Shape { get; } = shape;

    /// <summary>Parses <c>pg_current_snapshot()::text</c> (<c>xmin:xmax:xip,…</c>).</summary>
    public static QuerySourceSnapshot Parse(string snapshot, string cluster, string shape)
    {
        var parts = snapshot.Split(':');
        if (parts.Length != 3)
        {
            throw new FormatException($"not a PostgreSQL snapshot: '{snapshot}'");
        }

        return new QuerySourceSnapshot(ulong.Parse(parts[0], CultureInfo.InvariantCulture), ulong.Parse(parts[1], CultureInfo.InvariantCulture), cluster, shape);
    }

    /// <summary>Whether this (current) snapshot can trust <paramref name="last"/>'s: same cluster, database and shape, time moved forward and not too far.</summary>
    public bool CanVouchSince(QuerySourceSnapshot last) =>
        Cluster == last.Cluster && Shape == last.Shape && Xmax >= last.Xmax && Xmax - last.Xmin < WideningRange;

    /// <summary>Whether the row version written by <paramref name="rowXmin"/>, seen in this snapshot, had been written before <paramref name="last"/> was taken.</summary>
    public bool WrittenBefore(uint rowXmin, QuerySourceSnapshot last) => Widen(rowXmin) < last.Xmin;

    /// <summary>The newest 64-bit transaction id before this snapshot's <see cref="Xmax"/> whose low 32 bits are <paramref name="xid"/>.</summary>
    public ulong Widen(uint xid)
    {
        var top = Xmax - 1;
        var back = (ulong)unchecked((uint)top - xid);
        // Below zero only for an id no visible row can carry (it would be newer than the snapshot): the oldest there is.
        return top >= back ? top - back : 0;
    }

    public QueryPosition.StoredSnapshot ToStored() => new(Xmin, Xmax, Cluster, Shape);

    public static QuerySourceSnapshot FromStored(QueryPosition.StoredSnapshot stored) => new(stored.Xmin, stored.Xmax, stored.Cluster, stored.Shape);
}
