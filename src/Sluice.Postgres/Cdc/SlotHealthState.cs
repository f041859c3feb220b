namespace Sluice.Postgres.Cdc;

/// <summary>How a CDC sync's slot is doing, worst last.</summary>
public enum SlotHealthState
{
    /// <summary>Within its thresholds.</summary>
    Ok,

    /// <summary>Over <c>max_lag</c> or <c>max_lag_time</c>, or the server may soon drop WAL it still needs.</summary>
    Warn,

    /// <summary>Holding WAL without confirming anything for longer than <c>stall_after</c>, or its WAL is lost.</summary>
    Stalled,

    /// <summary>The slot does not exist: the sync never started, or the slot was dropped or lost on failover.</summary>
    Missing,
}
