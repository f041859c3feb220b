namespace Sluice.Core.Connectors;

/// <summary>
/// A destination (or write-back) that can mark its writes as Sluice's own in the system it writes to, so that a source
/// following that system's change stream tells them apart from everyone else's (<see cref="Records.Change.OwnWrite"/>).
/// PostgreSQL marks them with a replication origin on the writing session, which its logical decoding hands on with
/// every change of the transaction.
/// </summary>
/// <remarks>
/// Asked for by a two-way pair only (the other direction may read those writes back through CDC): marking is never
/// what makes a sync correct — a change equal to what the pair last agreed on is an echo whatever its origin — so a
/// system that refuses it (a role without the privilege) is written to unmarked, and says why once.
/// </remarks>
public interface IMarksOwnWrites
{
    /// <summary>Marks every later write with <paramref name="origin"/> (<see cref="OwnWriteOrigin.For"/>).</summary>
    void MarkOwnWrites(string origin);
}
