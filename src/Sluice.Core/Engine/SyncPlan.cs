using Sluice.Core.Records;

namespace Sluice.Core.Engine;

/// <summary>
/// What a sync's next run would do (<c>sluice plan</c>), found by reading and encoding as the run would,
/// without sending anything or moving any state.
/// </summary>
/// <param name="Sync">The sync's name.</param>
/// <param name="Source">The source as messages describe it.</param>
/// <param name="Destination">The destination as messages describe it.</param>
/// <param name="Diffs">Whether the source tells added, changed and deleted records apart; otherwise every change is "to send".</param>
/// <param name="Mode">The sync's mode (<c>on:</c>).</param>
/// <param name="Incremental">Whether the source read from a stored checkpoint; <c>false</c> for a sync that never committed one.</param>
/// <param name="Added">Records the source reports as new (a diffing source).</param>
/// <param name="Changed">Known records whose values differ (a diffing source).</param>
/// <param name="Deleted">Known records the source no longer returns (a diffing source).</param>
/// <param name="Unclassified">Changes of a source that cannot tell kinds apart (a cursor): all of them are sent.</param>
/// <param name="WouldSend">Records that would be sent: encoded and within the destination's limits.</param>
/// <param name="LeftOut">Records the mode (or the destination, e.g. a track on a transition) leaves out: not sent, but their fingerprints would move.</param>
/// <param name="WouldDeadLetter">Records the destination's encoder refuses (they would go to the dead-letter queue).</param>
/// <param name="Calls">The calls that would go out, by type, most first.</param>
/// <param name="Samples">The first records that would be sent, with their payloads.</param>
/// <param name="Refusals">The first records that would be dead-lettered (or held back by a processor), with the reason.</param>
/// <param name="Elapsed">How long reading, diffing and encoding took.</param>
public sealed record SyncPlan(
    string Sync,
    string Source,
    string Destination,
    bool Diffs,
    ChangeKinds Mode,
    bool Incremental,
    long Added,
    long Changed,
    long Deleted,
    long Unclassified,
    long WouldSend,
    long LeftOut,
    long WouldDeadLetter,
    IReadOnlyList<SyncPlan.Call> Calls,
    IReadOnlyList<SyncPlan.Sample> Samples,
    IReadOnlyList<SyncPlan.Refusal> Refusals,
    TimeSpan Elapsed)
{
    /// <summary>Records the sync's processors would quarantine (stored, never sent until released); among <see cref="Refusals"/> with the reason.</summary>
    public long WouldQuarantine { get; init; }

    /// <summary>Records the sync's processors would defer (waiting for a parent; offered again on later runs); among <see cref="Refusals"/>.</summary>
    public long WouldWait { get; init; }

    /// <summary>Records the sync's processors would drop: handled, not sent.</summary>
    public long WouldDrop { get; init; }

    /// <summary>Changes the source reported, whatever their kind.</summary>
    public long Read => Added + Changed + Deleted + Unclassified;

    /// <summary>One kind of call, e.g. <c>identify</c> or <c>track "Order Completed"</c>, and how many would go out.</summary>
    public sealed record Call(string Type, long Count);

    /// <summary>A record that would be sent: its key, kind and the exact payload (as the destination would receive it).</summary>
    public sealed record Sample(string Key, ChangeKinds Kind, ChangeOperation Operation, string MessageId, string Payload);

    /// <summary>A record that would be dead-lettered, and why.</summary>
    public sealed record Refusal(string Key, string Reason);
}
