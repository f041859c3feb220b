namespace Sluice.Core.Engine.WriteBack;

/// <summary>
/// Writes the ids a destination gave records back into the source database (<c>write_back:</c>), made by the source's
/// connector (<see cref="Connectors.IWriteBackConnector"/>). Every write is idempotent: a row already holding the id is
/// not touched, so writing the same ids twice (after a crash) changes nothing the second time and fires no trigger.
/// </summary>
public interface IWriteBack : IAsyncDisposable
{
    /// <summary>Where the ids go, for messages: <c>public.users.salesforce_contact_id</c>.</summary>
    string Description { get; }

    /// <summary>
    /// Checks that the table, the key and the column exist and fit (a classified <c>SluiceException</c>, naming the
    /// config file, key and fix, otherwise) and returns the statement that writes a batch of ids.
    /// </summary>
    Task<WriteBackStatement> PrepareAsync(CancellationToken ct);

    /// <summary>Writes <paramref name="ids"/> in a transaction of its own (when the state store cannot run the statement in its commit).</summary>
    Task WriteAsync(IReadOnlyList<WrittenBackId> ids, CancellationToken ct);
}
