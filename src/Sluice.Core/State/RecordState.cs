namespace Sluice.Core.State;

/// <summary>
/// What a diffing sync remembers of one record: the fingerprint of the values it last handled.
/// In a <see cref="BatchCommit"/>, a <c>null</c> fingerprint forgets the key (the record was deleted).
/// </summary>
public readonly record struct RecordState(string Key, byte[]? Fingerprint);
