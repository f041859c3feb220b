namespace Sluice.Emulators.Salesforce.Streaming;

/// <summary>One retained change event: its replay id, the object it is about and its <c>data</c> JSON, serialized once.</summary>
/// <param name="ReplayId">Position in the org's event stream, increasing by commit.</param>
/// <param name="EntityName">The object (<c>Contact</c>), for the per-object channel.</param>
/// <param name="CommitTime">When its transaction committed; retention counts from here.</param>
/// <param name="Data">The message's <c>data</c> object as UTF-8 JSON: <c>schema</c>, <c>payload</c>, <c>event.replayId</c>.</param>
internal sealed record ChangeEvent(long ReplayId, string EntityName, DateTimeOffset CommitTime, byte[] Data);
