using Sluice.Core.Connectors;

namespace Sluice.Testing.Doubles;

/// <summary>One <c>WriteAsync</c> call a <see cref="FakeDestination"/> received; <see cref="Index"/> counts from 0.</summary>
public sealed record WriteCall(int Index, IReadOnlyList<EncodedRecord> Records, CancellationToken Ct)
{
    public IReadOnlyList<string> Keys => Records.Select(r => r.Change.Key).ToList();

    public IReadOnlyList<string> MessageIds => Records.Select(r => r.MessageId).ToList();
}
