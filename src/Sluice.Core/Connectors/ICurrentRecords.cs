namespace Sluice.Core.Connectors;

/// <summary>
/// A destination that can read back what it holds now for records it wrote (by the id it gave them), so that a two-way
/// sync sees the other side's current values before it writes — the only way to notice a change made there since the
/// last sync instead of overwriting it. One query per call.
/// </summary>
public interface ICurrentRecords
{
    /// <summary>
    /// The current values of <paramref name="fields"/> (and of <paramref name="modifiedField"/>, the record's last-modified
    /// time) of the records with these destination ids; a record the destination no longer holds is left out.
    /// </summary>
    Task<IReadOnlyDictionary<string, CurrentRecord>> ReadCurrentAsync(IReadOnlyCollection<string> ids, IReadOnlyList<string> fields, string modifiedField, CancellationToken ct);
}
