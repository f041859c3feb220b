using System.Text.Json;
using Sluice.Core.Checkpoints;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources;

/// <summary>
/// The checkpoint of a diffing source. A run always compares the source's rows with the stored fingerprints, which are
/// the real progress (they move with each acknowledged batch); the checkpoint marks that the sync has diffed before, keeps
/// the last key a run handled, for people reading it, and — for a table-shaped source — the snapshot its last complete
/// read saw (<see cref="Since"/>), from which the next run tells the rows that may have changed by their <c>xmin</c>.
/// </summary>
/// <remarks>
/// Version 1 has the last key only, and is still written when there is no snapshot to keep; version 2 adds the snapshot.
/// Each record's position carries the snapshot the run started from, and only the end of a complete read carries the
/// run's own: a run that stops half way leaves the older one, which still vouches for every row the ledger has.
/// </remarks>
internal sealed class QueryPosition(string lastKey, QuerySourceSnapshot? since = null) : SourcePosition
{
    public const string Format = "pg-diff";
    public const int Version = 2;

    public string LastKey { get; } = lastKey;

    /// <summary>The snapshot of the last complete read, and what it read; <c>null</c> when the source keeps none.</summary>
    public QuerySourceSnapshot? Since { get; } = since;

    public override Checkpoint ToCheckpoint() => Since is null
        ? new(Format, 1, JsonSerializer.Serialize(new Stored(LastKey), QueryPositionJson.Default.Stored))
        : new(Format, Version, JsonSerializer.Serialize(new Stored(LastKey) { Since = Since.ToStored() }, QueryPositionJson.Default.Stored));

    /// <summary>Accepts only a checkpoint a diffing source wrote (a table's means the sync changed kind).</summary>
    public static void Validate(Checkpoint checkpoint, string sourceDescription)
    {
        if (checkpoint.Format != Format || checkpoint.Version > Version)
        {
            throw SluiceException.Fatal(
                $"{sourceDescription}: the stored checkpoint ({checkpoint.Format} v{checkpoint.Version}) was not written by a diffing source (did the sync change from 'cursor:' to a diff?); run with --full to start over");
        }
    }

    /// <summary>The snapshot of the last complete read a checkpoint keeps (validated first), or <c>null</c>.</summary>
    public static QuerySourceSnapshot? SinceOf(Checkpoint checkpoint, string sourceDescription)
    {
        Validate(checkpoint, sourceDescription);
        if (checkpoint.Version < 2)
        {
            return null;
        }

        var stored = JsonSerializer.Deserialize(checkpoint.Value, QueryPositionJson.Default.Stored);
        return stored?.Since is { } since ? QuerySourceSnapshot.FromStored(since) : null;
    }

    internal sealed record Stored(string LastKey)
    {
        /// <summary>Version 2: the snapshot of the last complete read.</summary>
        public StoredSnapshot? Since { get; init; }
    }

    /// <summary>
    /// A read's snapshot as stored: its <c>xmin</c> and <c>xmax</c> as 64-bit transaction ids (<c>xid8</c>, never
    /// wrapping), which cluster and database it was taken in, and the shape of what was read (query, key, columns).
    /// </summary>
    internal sealed record StoredSnapshot(ulong Xmin, ulong Xmax, string Cluster, string Shape);
}
