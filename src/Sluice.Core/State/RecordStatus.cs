namespace Sluice.Core.State;

/// <summary>
/// What happened to a record the last time a run handled it, as its ledger entry (<see cref="RecordState"/>) keeps it.
/// Stored as text (<c>record_state.status</c>); a stored format that only grows: new values are added, none renamed.
/// </summary>
public enum RecordStatus
{
    /// <summary>Not said: an entry stored before the ledger kept a status, or one a caller built without one.</summary>
    Unspecified = 0,

    /// <summary>The destination acknowledged the record (<see cref="RecordState.DestinationId"/> holds its id when it gave one).</summary>
    Sent,

    /// <summary>Refused for good, before sending or by the destination; the dead-letter queue holds the reason and the payload.</summary>
    DeadLettered,

    /// <summary>Handled without sending: the sync's mode (<c>on:</c>) or the destination had nothing to send for the change.</summary>
    LeftOut,

    /// <summary>Held back by a processor for a person to look at; it is not sent until released.</summary>
    Quarantined,

    /// <summary>Held back until something it depends on (a parent record) has been sent.</summary>
    Waiting,
}
