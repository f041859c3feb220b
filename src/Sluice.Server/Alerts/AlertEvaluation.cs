namespace Sluice.Server.Alerts;

/// <summary>What one evaluation did.</summary>
/// <param name="Skipped">Another process was evaluating the alert at that moment: nothing was read or sent.</param>
/// <param name="Value">The metric's value (null: no row or NULL).</param>
/// <param name="Step">The state after it and the transition made.</param>
/// <param name="Sent">The message id of the event sent, if one was.</param>
public sealed record AlertEvaluation(bool Skipped, double? Value, AlertStep Step, string? Sent);
