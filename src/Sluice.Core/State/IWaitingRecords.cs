namespace Sluice.Core.State;

/// <summary>
/// A sync's waiting records (<see cref="DeadLetterKind.Waiting"/>), for the run that offers them again before it reads
/// new changes. A newer version of a record committed by a run supersedes its waiting one: it leaves the queue, so an
/// old version is never sent after a new one.
/// </summary>
public interface IWaitingRecords
{
    /// <summary>Up to <paramref name="limit"/> waiting records after id <paramref name="afterId"/>, in id order (the order they started waiting).</summary>
    Task<IReadOnlyList<WaitingRecord>> PageAsync(long afterId, int limit, CancellationToken ct);

    /// <summary>
    /// In one transaction: sent records leave the queue (their ledger entry says sent, with the destination's id, and the
    /// send ledger holds their message id); records still waiting stay under the new reason, one attempt more; refused
    /// ones become dead letters. The run <paramref name="runId"/> counts them.
    /// </summary>
    Task SettleAsync(long runId, IReadOnlyList<WaitingOutcome> outcomes, CancellationToken ct);
}
