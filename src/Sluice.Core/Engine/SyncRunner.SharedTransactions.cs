using Sluice.Core.Connectors;
using Sluice.Core.Engine.Delivery;

namespace Sluice.Core.Engine;

public sealed partial class SyncRunner
{
    private sealed partial class Run
    {
        /// <summary>
        /// The destination's shared writes when its database is the state database (<see cref="ISharedTransactionWrites"/>),
        /// decided once per run; <c>null</c>: the destination writes in transactions of its own.
        /// </summary>
        private ISharedTransactionWrites? _sharedWrites;

        /// <summary>
        /// One batch at a time between its write and its commit: a batch's rows stay uncommitted until then, and the next
        /// batch, written meanwhile on another connection, would not see them (a record in both would collide).
        /// </summary>
        private readonly SemaphoreSlim _sharedTurn = new(1, 1);

        /// <summary>Transactions opened and not yet committed, rolled back when the run ends without committing them.</summary>
        private readonly List<SharedTransaction> _openTransactions = [];

        private void DecideSharedTransactions()
        {
            if (sync.Destination is ISharedTransactionWrites { SharesTransactions: true } writes && lease.SharesTransactionWith(writes.Database))
            {
                _sharedWrites = writes;
            }
        }

        /// <summary>
        /// Delivers the batch inside a transaction on the state database, left open for the batch's commit
        /// (<see cref="State.BatchCommit.Transaction"/>). Waits for the previous such batch to commit first.
        /// </summary>
        private async Task<DeliveryOutcome> DeliverInSharedTransactionAsync(OutgoingBatch batch, ISharedTransactionWrites writes, DeliveryOptions options, CancellationToken ct)
        {
            await _sharedTurn.WaitAsync(ct);
            var transaction = new SharedTransaction(await lease.BeginSharedTransactionAsync(ct));
            lock (_openTransactions)
            {
                _openTransactions.Add(transaction);
            }

            batch.Transaction = transaction;
            var delivery = new DeliveryService(new InTransactionDestination(sync.Destination, writes, transaction.Transaction), sync.Gate, options, runner._time);
            return await delivery.DeliverAsync(batch.Records, (settled, _) =>
            {
                Settle(batch, settled);
                return ValueTask.CompletedTask;
            }, ct);
        }

        /// <summary>After the batch's commit: its transaction is done, and the next batch may write.</summary>
        private async Task CommittedSharedAsync(OutgoingBatch batch)
        {
            if (batch.Transaction is not { } transaction)
            {
                return;
            }

            lock (_openTransactions)
            {
                _openTransactions.Remove(transaction);
            }

            await transaction.DisposeAsync();
            _sharedTurn.Release();
        }

        /// <summary>Rolls back what the run wrote and never committed (it failed or was cancelled in between).</summary>
        private async Task RollBackOpenTransactionsAsync()
        {
            List<SharedTransaction> open;
            lock (_openTransactions)
            {
                open = [.. _openTransactions];
                _openTransactions.Clear();
            }

            foreach (var transaction in open)
            {
                try
                {
                    await transaction.DisposeAsync();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The connection is gone: the database rolled the transaction back itself.
                }
            }
        }
    }
}
