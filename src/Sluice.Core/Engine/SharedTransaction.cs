using System.Data.Common;

namespace Sluice.Core.Engine;

/// <summary>
/// A batch's transaction on the state database (<see cref="State.ISyncLease.BeginSharedTransactionAsync"/>), held from
/// the destination's write to the batch's commit. The connection is kept apart because a driver may forget it once the
/// transaction completes; disposing rolls back what was never committed and returns the connection.
/// </summary>
internal sealed class SharedTransaction(DbTransaction transaction) : IAsyncDisposable
{
    private readonly DbConnection _connection = transaction.Connection
        ?? throw new InvalidOperationException("the state store handed over a transaction without its connection");

    private int _disposed;

    public DbTransaction Transaction { get; } = transaction;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            await Transaction.DisposeAsync();
        }
        finally
        {
            await _connection.DisposeAsync();
        }
    }
}
