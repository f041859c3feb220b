namespace Sluice.Core.State;

/// <summary>
/// Where the engine keeps what must survive a crash: checkpoints, the send ledger, runs and dead letters.
/// Implemented on PostgreSQL (<c>Sluice.State</c>); the engine knows only this contract.
/// </summary>
public interface ISyncStateStore
{
    /// <summary>
    /// Takes the run lock of a sync, across every process sharing this store; <c>null</c> when someone holds it.
    /// The lock lasts until the lease is disposed (or its connection dies).
    /// </summary>
    Task<ISyncLease?> TryAcquireAsync(string syncName, CancellationToken ct);
}
