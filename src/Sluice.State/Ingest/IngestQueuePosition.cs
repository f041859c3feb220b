using System.Globalization;
using Sluice.Core.Checkpoints;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.State.Ingest;

/// <summary>
/// Where a reader of the ingest queue stands: the (transaction, position) of the last event it read, in the order
/// the queue is read (see migration 0007). Stored as <c>&lt;xid&gt;:&lt;position&gt;</c>.
/// </summary>
internal sealed class IngestQueuePosition(ulong xid, long position) : SourcePosition
{
    public const string Format = "ingest-queue";
    public const int Version = 1;

    /// <summary>Before every event.</summary>
    public static readonly IngestQueuePosition Start = new(0, 0);

    public ulong Xid { get; } = xid;

    public long Position { get; } = position;

    public override Checkpoint ToCheckpoint() =>
        new(Format, Version, string.Create(CultureInfo.InvariantCulture, $"{Xid}:{Position}"));

    public static IngestQueuePosition FromCheckpoint(Checkpoint? checkpoint, string sourceDescription) =>
        checkpoint is null ? Start
        : TryParse(checkpoint) ?? throw SluiceException.Fatal(
            $"{sourceDescription}: the stored checkpoint ({checkpoint.Format} v{checkpoint.Version}) was not written by an ingest source; run with --full to start over");

    /// <summary>The position a checkpoint holds, or null when it is not an ingest queue checkpoint.</summary>
    public static IngestQueuePosition? TryParse(Checkpoint checkpoint)
    {
        if (checkpoint.Format != Format || checkpoint.Version != Version)
        {
            return null;
        }

        var colon = checkpoint.Value.IndexOf(':', StringComparison.Ordinal);
        return colon > 0
            && ulong.TryParse(checkpoint.Value.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var xid)
            && long.TryParse(checkpoint.Value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var position)
                ? new IngestQueuePosition(xid, position)
                : null;
    }

    public override string ToString() => $"{Xid}:{Position}";
}
