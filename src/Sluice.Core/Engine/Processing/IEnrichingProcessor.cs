using Sluice.Core.Records;

namespace Sluice.Core.Engine.Processing;

/// <summary>
/// A processor that adds columns to the records it passes (a lookup of reference data by a key): the sync's mapping may
/// name them as if the source had them. The source reads only its own columns; the engine widens each record by the
/// added ones (NULL until the processor fills them) and encodes it again with what
/// <see cref="ProcessorDecision.Enrich"/> gives.
/// </summary>
public interface IEnrichingProcessor : IRecordProcessor
{
    /// <summary>The columns this processor adds (asked once per run, before the mapping is compiled); none may share a name with a source column.</summary>
    ValueTask<IReadOnlyList<SourceColumn>> DescribeAsync(CancellationToken ct);

    /// <summary>Source columns the processor reads (its lookup key), read from the source even when the mapping sends none of them.</summary>
    IReadOnlyList<string> Reads { get; }
}
