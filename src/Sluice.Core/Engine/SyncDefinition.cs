using Sluice.Core.Connectors;
using Sluice.Core.Mapping;

namespace Sluice.Core.Engine;

/// <summary>A sync ready to run: its source, mapping, destination and tuning.</summary>
public sealed record SyncDefinition(string Name, ISource Source, MappingSpec Mapping, IDestination Destination, DeliveryGate Gate, SyncRunOptions Options)
{
    /// <summary>The destination's connection name in the config file, for the audit log; null when not built from a file.</summary>
    public string? DestinationConnection { get; init; }

    /// <summary>Decide, a batch at a time, what of the encoded records is sent (<see cref="Processing.IRecordProcessor"/>); in order. Default none.</summary>
    public IReadOnlyList<Processing.IRecordProcessor> Processors { get; init; } = [];

    /// <summary>
    /// Where the ids the destination gives records are written back in the source database (<c>write_back:</c>);
    /// <c>null</c>: nowhere. A sync with one keeps a record ledger (the ids, and the pending write-backs).
    /// </summary>
    public WriteBack.IWriteBack? WriteBack { get; init; }
}
