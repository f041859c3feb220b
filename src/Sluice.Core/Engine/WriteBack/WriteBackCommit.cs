namespace Sluice.Core.Engine.WriteBack;

/// <summary>
/// The ids a batch's commit writes back (<see cref="State.BatchCommit.WriteBack"/>). A state store that can run
/// <see cref="Statement"/> in its commit transaction does (<see cref="State.ISyncLease.CommitsWriteBack"/>); one that
/// cannot marks the ids pending in the record ledger in that transaction, and the engine writes them right after the
/// commit and clears the mark — so an id acknowledged and committed is written back even if the process dies between.
/// </summary>
public sealed record WriteBackCommit(WriteBackStatement Statement, IReadOnlyList<WrittenBackId> Ids);
