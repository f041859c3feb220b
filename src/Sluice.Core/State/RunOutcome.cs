namespace Sluice.Core.State;

/// <summary>How a run ended; <see cref="Error"/> is the user-facing message when it failed.</summary>
public sealed record RunOutcome(RunStatus Status, string? Error = null);
