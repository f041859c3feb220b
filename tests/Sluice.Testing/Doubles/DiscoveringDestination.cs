using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Testing.Doubles;

/// <summary>
/// A destination that knows its fields only after connecting (<see cref="IDestinationDiscovery"/>): before, its
/// <see cref="Shape"/> accepts no target at all; <see cref="DiscoverAsync"/> answers <see cref="Discovered"/>.
/// Everything else is <see cref="Inner"/>'s.
/// </summary>
public sealed class DiscoveringDestination(FakeDestination inner, MappingShape discovered) : IDestination, IDestinationDiscovery
{
    private int _discoveries;

    public FakeDestination Inner { get; } = inner;

    public MappingShape Discovered { get; } = discovered;

    /// <summary>How many times the shape was discovered.</summary>
    public int Discoveries => _discoveries;

    public string Description => "Discovering destination";

    /// <summary>What is known without connecting: nothing, so a mapping compiled against it fails on its first field.</summary>
    public MappingShape Shape { get; } = new("Discovering destination", [], []);

    public DestinationLimits Limits => Inner.Limits;

    public Task<MappingShape> DiscoverAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _discoveries);
        return Task.FromResult(Discovered);
    }

    public Task CheckAsync(CancellationToken ct) => Inner.CheckAsync(ct);

    public EncodedRecord Encode(Change change, CompiledMapping mapping) => Inner.Encode(change, mapping);

    public Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct) => Inner.WriteAsync(batch, ct);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
