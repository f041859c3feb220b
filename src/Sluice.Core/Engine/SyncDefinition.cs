using Sluice.Core.Connectors;
using Sluice.Core.Mapping;

namespace Sluice.Core.Engine;

/// <summary>A sync ready to run: its source, mapping, destination and tuning.</summary>
public sealed record SyncDefinition(string Name, ISource Source, MappingSpec Mapping, IDestination Destination, DeliveryGate Gate, SyncRunOptions Options);
