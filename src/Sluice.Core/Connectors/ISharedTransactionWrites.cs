using System.Data.Common;

namespace Sluice.Core.Connectors;

/// <summary>
/// A destination that can write a batch in a transaction it is handed, on its own database. When that database (and
/// role) is the state store's (<see cref="State.ISyncLease.SharesTransactionWith"/>), the engine opens each batch's
/// transaction on the state store, the destination writes the batch in it, and the batch's commit (checkpoint, send
/// ledger, record ledger) runs in it too: the rows and the checkpoint move together or not at all. Otherwise the
/// destination writes in transactions of its own (<see cref="IDestination.WriteAsync"/>), idempotent by key.
/// </summary>
/// <remarks>
/// The engine wraps each write in a savepoint, so a write that throws (a transient error, a row the engine then
/// bisects around) leaves the batch's earlier writes in place. The destination never commits or rolls back the
/// transaction, and leaves nothing behind in it that a second write of the same transaction would trip over (a
/// temporary table it creates, it drops).
/// </remarks>
public interface ISharedTransactionWrites
{
    /// <summary>Which database and role the destination writes to, as <c>host:port/database as user</c>.</summary>
    string Database { get; }

    /// <summary>
    /// False while the destination must write in transactions of its own (its writes are marked with a replication
    /// origin on a session of its own, <see cref="IMarksOwnWrites"/>); each is then idempotent by key.
    /// </summary>
    bool SharesTransactions => true;

    /// <summary>
    /// Writes <paramref name="batch"/> in <paramref name="transaction"/> (a connection of the destination's own driver, to
    /// <see cref="Database"/>) and returns one result per record, in order, as <see cref="IDestination.WriteAsync"/> does.
    /// </summary>
    Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, DbTransaction transaction, CancellationToken ct);
}
