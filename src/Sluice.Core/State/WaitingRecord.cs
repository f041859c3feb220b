namespace Sluice.Core.State;

/// <summary>
/// A record the destination or a processor answered "waiting" for (its parent is not there yet), kept with the payload
/// and message id it was first encoded under, and offered again at the start of each run of its sync.
/// </summary>
/// <param name="Id">Its row in the dead-letter queue (kind <c>waiting</c>).</param>
/// <param name="RecordKey">The record's key.</param>
/// <param name="MessageId">The message id it was encoded under; re-offers keep it, so a destination that deduplicates takes it once.</param>
/// <param name="Payload">What is sent.</param>
/// <param name="Reason">Why it waits, as last answered.</param>
/// <param name="Attempts">How many times it was offered again so far.</param>
/// <param name="Since">When it started waiting: <c>max_wait</c> counts from here.</param>
public sealed record WaitingRecord(long Id, string RecordKey, string? MessageId, string Payload, string Reason, int Attempts, DateTimeOffset Since);
