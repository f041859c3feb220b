namespace Sluice.Core.Engine.Processing;

/// <summary>
/// Read access to reference data for a <see cref="IRecordProcessor"/>, a batch at a time: one parameterised query for
/// every key a batch needs (e.g. <c>SELECT … WHERE id = ANY($1)</c>), never one query per record.
/// </summary>
public interface IRecordLookup
{
    /// <summary>The lookup's name, for messages.</summary>
    string Name { get; }

    /// <summary>
    /// The rows found for <paramref name="keys"/>, by key, in one round trip; a key with no row is absent. Values are
    /// the lookup's columns in its own order.
    /// </summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<object?>>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken ct);
}
