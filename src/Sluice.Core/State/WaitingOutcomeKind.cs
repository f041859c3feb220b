namespace Sluice.Core.State;

/// <summary>How a waiting record offered again fared.</summary>
public enum WaitingOutcomeKind
{
    /// <summary>Acknowledged: it leaves the queue and its ledger entry says sent.</summary>
    Sent,

    /// <summary>Answered "waiting" again: it stays, under the new reason, one attempt more.</summary>
    StillWaiting,

    /// <summary>Refused for good, or waited past <c>max_wait</c>: it becomes a dead letter with the reason.</summary>
    Refused,
}
