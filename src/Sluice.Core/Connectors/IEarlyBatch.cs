namespace Sluice.Core.Connectors;

/// <summary>
/// One batch as the engine fills it (<see cref="IEarlyBatchWrites"/>): each record as it joins, in order, then the cut.
/// Disposed by the engine once the batch was delivered, whether or not the destination used it, so it can give up
/// what it started and did not need.
/// </summary>
public interface IEarlyBatch : IAsyncDisposable
{
    /// <summary>A record joined the batch. May wait: a destination whose sending falls behind slows the source down.</summary>
    ValueTask AddAsync(EncodedRecord record, CancellationToken ct);

    /// <summary>The batch is cut: no record joins it any more. It goes on to be identified, processed and written.</summary>
    ValueTask CutAsync(CancellationToken ct);
}
