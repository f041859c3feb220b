using System.Globalization;
using NpgsqlTypes;
using Sluice.Core.Checkpoints;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// Where a CDC sync stands: during the initial copy, only that it is copying (a copy cannot resume: its snapshot dies
/// with the process); afterwards, the last change handled as (commit LSN of its transaction, its index within the
/// transaction). Stored as <c>pg-lsn/v1</c>: <c>snapshot</c> or <c>0/16B3748:3</c>.
/// </summary>
/// <remarks>
/// Index 0 means "nothing of that transaction yet": the copy ends at (consistent point, 0), which every streamed
/// change comes after.
/// </remarks>
internal sealed class CdcPosition : SourcePosition
{
    public const string Format = "pg-lsn";

    public const int Version = 1;

    private const string SnapshotValue = "snapshot";

    private CdcPosition(bool copying, NpgsqlLogSequenceNumber commitLsn, int index)
    {
        Copying = copying;
        CommitLsn = commitLsn;
        Index = index;
    }

    /// <summary>A row of the initial copy, not the last.</summary>
    public static CdcPosition Copy { get; } = new(copying: true, default, 0);

    /// <summary>Whether the sync is still in its initial copy.</summary>
    public bool Copying { get; }

    public NpgsqlLogSequenceNumber CommitLsn { get; }

    /// <summary>1-based index of the change within its transaction; 0: before the transaction's first.</summary>
    public int Index { get; }

    public static CdcPosition Streamed(NpgsqlLogSequenceNumber commitLsn, int index) => new(copying: false, commitLsn, index);

    /// <summary>The change's own version for message ids: unique per change, the same when it is streamed again.</summary>
    public string ToVersion() => $"{CommitLsn}:{Index.ToString(CultureInfo.InvariantCulture)}";

    public override Checkpoint ToCheckpoint() => new(Format, Version, Copying ? SnapshotValue : ToVersion());

    public static CdcPosition Parse(Checkpoint checkpoint, string source)
    {
        if (checkpoint.Format != Format || checkpoint.Version > Version)
        {
            throw SluiceException.Fatal($"{source}: the stored checkpoint ({checkpoint}) was not written by a cdc source of this version; " +
                "run `sluice sync --full` to copy the tables again and follow them from there");
        }

        if (checkpoint.Value == SnapshotValue)
        {
            return Copy;
        }

        var colon = checkpoint.Value.LastIndexOf(':');
        if (colon > 0 && NpgsqlLogSequenceNumber.TryParse(checkpoint.Value.AsSpan(0, colon), out var lsn)
            && int.TryParse(checkpoint.Value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return Streamed(lsn, index);
        }

        throw SluiceException.Fatal($"{source}: the stored checkpoint '{checkpoint.Value}' is not a WAL position; run `sluice sync --full` to start again");
    }

    /// <summary>Whether this position comes after <paramref name="other"/> in stream order (a copy comes before every streamed one).</summary>
    public bool IsAfter(CdcPosition other)
    {
        if (Copying || other.Copying)
        {
            return !Copying && other.Copying;
        }

        var byLsn = CommitLsn.CompareTo(other.CommitLsn);
        return byLsn > 0 || (byLsn == 0 && Index > other.Index);
    }

    public override string ToString() => Copying ? SnapshotValue : ToVersion();
}
