using Sluice.Server.Metrics;

namespace Sluice.Server.Notifications;

/// <summary>A change of a sync's health worth a message: what it needs attention for now, and what it did before.</summary>
/// <param name="Reasons">Now; empty when it recovered.</param>
/// <param name="Previous">The kinds of reason of the last message (empty: it was fine).</param>
internal sealed record HealthChange(string Sync, IReadOnlyList<AttentionReason> Reasons, IReadOnlyList<string> Previous, DateTimeOffset At)
{
    /// <summary><c>needs_attention</c> (it was fine), <c>recovered</c> (it is fine again) or <c>changed</c> (other reasons now).</summary>
    public string Transition => Reasons.Count == 0 ? "recovered" : Previous.Count == 0 ? "needs_attention" : "changed";

    /// <summary>The state as stored: <c>ok</c>, or the reasons' kinds, sorted, comma-separated.</summary>
    public static string StateOf(IEnumerable<string> kinds)
    {
        var sorted = kinds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return sorted.Count == 0 ? "ok" : string.Join(',', sorted);
    }
}
