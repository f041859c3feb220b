namespace Sluice.Core.Connectors;

public enum WriteStatus
{
    /// <summary>The destination acknowledged the record.</summary>
    Ok,

    /// <summary>Not accepted now; send it again after <see cref="WriteResult.RetryAfter"/>.</summary>
    Retry,

    /// <summary>Refused for good; it goes to the dead-letter queue with <see cref="WriteResult.Reason"/>.</summary>
    Rejected,

    /// <summary>
    /// Not accepted yet, for a reason that time will fix (its parent record is not there yet): kept as waiting with
    /// <see cref="WriteResult.Reason"/> and offered again at the start of the sync's next runs, up to its <c>max_wait</c>.
    /// </summary>
    Waiting,
}

/// <summary>What happened to one record of a batch.</summary>
public readonly record struct WriteResult(WriteStatus Status, string? Reason = null, TimeSpan? RetryAfter = null)
{
    /// <summary>Acknowledged, without an id of the destination's own (Segment gives none).</summary>
    public static readonly WriteResult Ok = new(WriteStatus.Ok);

    /// <summary>
    /// For an acknowledged record: the id the destination knows it by (a Salesforce Id, the target row's key), kept in
    /// the sync's record ledger; <c>null</c> when the destination gives none.
    /// </summary>
    public string? DestinationId { get; init; }

    /// <summary>Acknowledged under <paramref name="destinationId"/>, the id the destination knows the record by.</summary>
    public static WriteResult Acknowledged(string? destinationId) => new(WriteStatus.Ok) { DestinationId = destinationId };

    /// <summary>
    /// For a record the destination handled without writing it, and why (<c>mode: enrich</c> and no row to update): the
    /// engine files it as left out, not as sent; <see cref="WriteResult.Reason"/> says why.
    /// </summary>
    public bool LeftOut { get; init; }

    /// <summary>Handled, but not written, for <paramref name="reason"/>: the ledger says left out, not sent.</summary>
    public static WriteResult NotWritten(string reason) => new(WriteStatus.Ok, reason) { LeftOut = true };

    public static WriteResult Rejected(string reason) => new(WriteStatus.Rejected, reason);

    /// <summary>Not accepted until something else exists (a parent record); offered again on the sync's next run.</summary>
    public static WriteResult Waiting(string reason) => new(WriteStatus.Waiting, reason);

    public static WriteResult Retry(string reason, TimeSpan? after = null) => new(WriteStatus.Retry, reason, after);
}
