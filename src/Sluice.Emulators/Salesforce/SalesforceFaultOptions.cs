namespace Sluice.Emulators.Salesforce;

/// <summary>
/// Failures the emulator injects into REST and Bulk requests (never into OAuth, the versions list or the admin
/// API). Each is drawn independently; rates are probabilities from 0 to 1; the defaults inject nothing.
/// </summary>
public sealed class SalesforceFaultOptions
{
    /// <summary>Share of requests answered <c>403 REQUEST_LIMIT_EXCEEDED</c> (<c>ConcurrentPerOrgLongTxn Limit exceeded</c>). Default 0.</summary>
    public double RequestLimitRate { get; init; }

    /// <summary>Share of requests answered <c>503 SERVER_UNAVAILABLE</c>. Default 0.</summary>
    public double ServiceUnavailableRate { get; init; }

    /// <summary>Share of records in a save (single, collections, composite, Bulk) failing with <c>UNABLE_TO_LOCK_ROW</c>. Default 0.</summary>
    public double LockRowRate { get; init; }

    /// <summary>Share of requests whose connection is aborted without an answer. Default 0.</summary>
    public double DropConnectionRate { get; init; }

    /// <summary>Share of requests delayed by <see cref="SlowDelay"/>. Default 0.</summary>
    public double SlowRate { get; init; }

    /// <summary>Delay of a slowed request. Default 2 seconds.</summary>
    public TimeSpan SlowDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Share of save calls (a REST write, a collection, a Bulk chunk of 200) that commit late: their records carry the
    /// save's <c>SystemModstamp</c> but readers see them only <see cref="CommitLag"/> later, as a long transaction shows
    /// them — the case that makes a <c>SystemModstamp</c> watermark lose records. Default 0.
    /// </summary>
    public double CommitLagRate { get; init; }

    /// <summary>How much later a lagging save becomes visible. Default 10 seconds.</summary>
    public TimeSpan CommitLag { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Seed for the draws, for a repeatable sequence. Default <c>null</c>: random.</summary>
    public int? Seed { get; init; }
}
