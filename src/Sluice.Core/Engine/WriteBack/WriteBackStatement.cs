namespace Sluice.Core.Engine.WriteBack;

/// <summary>
/// The set-based statement that writes a batch of ids back: <see cref="Sql"/> takes the record keys as <c>$1</c> and
/// the ids as <c>$2</c> (two text arrays of equal length) and updates only rows whose column differs from the id.
/// </summary>
/// <param name="Database">
/// Which database and role the statement must run in (<c>host:port/database as user</c>): a state store on the same
/// database and role runs it in the transaction that moves the checkpoint and the record ledger. <c>null</c>: it runs
/// only in the write-back's own session (<see cref="IWriteBack.WriteAsync"/>; a session marked with a replication origin).
/// </param>
/// <param name="Sql">The statement.</param>
public sealed record WriteBackStatement(string? Database, string Sql);
