using Sluice.Core.Checkpoints;

namespace Sluice.Core.State;

/// <summary>
/// What a sync has stored, read without its run lock and without writing a row: for tools that look but do
/// not run (<c>sluice plan</c>). A sync the store has never seen reads as no checkpoint and no fingerprints.
/// </summary>
public interface ISyncStateView
{
    /// <summary>The last committed checkpoint, or <c>null</c> when the sync never committed one.</summary>
    Task<Checkpoint?> LoadCheckpointAsync(string syncName, CancellationToken ct);

    /// <summary>The fingerprints a diffing sync stored, as committed when the read starts.</summary>
    IRecordStateReader RecordStates(string syncName);
}
