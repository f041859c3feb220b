using System.Data.Common;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Core.Engine;

/// <summary>
/// A destination's view for one batch whose writes go into the batch's shared transaction
/// (<see cref="ISharedTransactionWrites"/>), each in a savepoint: a write that throws is undone alone, so the delivery
/// service's retries and bisection work as they do on the destination's own transactions, and what earlier writes of
/// the batch settled stays in the transaction for its commit.
/// </summary>
internal sealed class InTransactionDestination(IDestination destination, ISharedTransactionWrites writes, DbTransaction transaction) : IDestination
{
    private const string Savepoint = "sluice_write";

    public string Description => destination.Description;

    public MappingShape Shape => destination.Shape;

    public DestinationLimits Limits => destination.Limits;

    public bool AcceptsDeletes => destination.AcceptsDeletes;

    public bool RemembersRecords => destination.RemembersRecords;

    public bool Sends(Change change) => destination.Sends(change);

    public Task CheckAsync(CancellationToken ct) => destination.CheckAsync(ct);

    public EncodedRecord Encode(Change change, CompiledMapping mapping) => destination.Encode(change, mapping);

    public async Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
    {
        await SaveAsync(ct);
        IReadOnlyList<WriteResult> results;
        try
        {
            results = await writes.WriteAsync(batch, transaction, ct);
        }
        catch (Exception e)
        {
            await UndoAsync(e);
            throw;
        }

        await transaction.ReleaseAsync(Savepoint, ct);
        return results;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task SaveAsync(CancellationToken ct)
    {
        try
        {
            await transaction.SaveAsync(Savepoint, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Lost(e);
        }
    }

    /// <summary>
    /// Rolls the failed write back to its savepoint. When even that fails the connection is gone, and with it what the
    /// batch's earlier writes did, which the batch has already settled: nothing of it may be committed, so the run stops
    /// (the checkpoint did not move; the next run writes the batch again).
    /// </summary>
    private async Task UndoAsync(Exception failure)
    {
        try
        {
            await transaction.RollbackAsync(Savepoint, CancellationToken.None);
        }
        catch (Exception e) when (failure is not OperationCanceledException)
        {
            throw Lost(e);
        }
        catch
        {
            // Cancelled: the run ends, and disposing the batch's transaction rolls all of it back.
        }
    }

    private SluiceException Lost(Exception e) => SluiceException.Fatal(
        $"{destination.Description}: the transaction the batch shares with the state store was lost ({e.Message}); nothing of the batch was committed, " +
        "and the next run writes it again", e);
}
