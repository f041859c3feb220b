namespace Sluice.State;

/// <summary>A diffing sync's memory of one record: the fingerprint last committed, when, and the watched values.</summary>
public sealed record StoredRecordState(string Fingerprint, DateTimeOffset UpdatedAt, string? WatchedValues);
