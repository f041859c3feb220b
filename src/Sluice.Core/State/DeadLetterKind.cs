namespace Sluice.Core.State;

/// <summary>Why a record is held instead of sent (the <c>kind</c> of its row in the dead-letter queue).</summary>
public enum DeadLetterKind
{
    /// <summary>Refused for good by the encoder or the destination: a dead letter.</summary>
    Rejected,

    /// <summary>Held back by a processor with a reason (<c>quarantine</c>); never sent by a replay.</summary>
    Quarantined,

    /// <summary>Deferred by a processor, waiting for a parent; sent by a replay once it exists.</summary>
    Waiting,
}
