namespace Sluice.Core.State;

/// <summary>
/// What a diffing sync remembers of one record: the fingerprint of the values it last handled and, when the
/// destination watches columns (a transition), their values as text. In a <see cref="BatchCommit"/>, a
/// <c>null</c> fingerprint forgets the key (the record was deleted).
/// </summary>
public readonly record struct RecordState(string Key, byte[]? Fingerprint)
{
    /// <summary>The watched columns' values as text (<c>Change.Watched</c>); <c>null</c> when none are watched.</summary>
    public IReadOnlyDictionary<string, string?>? Values { get; init; }

    /// <summary>When the state store last stored the record; set when read back, ignored when committed.</summary>
    public DateTimeOffset? StoredAt { get; init; }
}
