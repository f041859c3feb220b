using Sluice.Core.Connectors;

namespace Sluice.Core.Engine.Processing;

/// <summary>What a <see cref="IRecordProcessor"/> decides on: the records of one batch, encoded as they would be sent.</summary>
/// <param name="SyncName">The sync the batch belongs to.</param>
/// <param name="Records">The records, each with its change (key, values) and payload.</param>
public sealed record ProcessorBatch(string SyncName, IReadOnlyList<EncodedRecord> Records)
{
    /// <summary>The names of <c>Change.Values</c>, in order (the mapping's columns, with those processors add).</summary>
    public IReadOnlyList<string> Columns { get; init; } = [];
}
