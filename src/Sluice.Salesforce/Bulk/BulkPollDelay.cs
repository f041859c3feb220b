namespace Sluice.Salesforce.Bulk;

/// <summary>How long to wait before polling a Bulk ingest job's state again.</summary>
internal static class BulkPollDelay
{
    /// <summary>The first poll: small jobs are often done by then.</summary>
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait: a job's end is never missed by more than this.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The next delay. Without progress since the last poll, doubling from <paramref name="previous"/>; with progress,
    /// the time the remaining rows need at the rate seen since the last poll (<paramref name="sinceLastPoll"/> ×
    /// remaining ÷ rows processed in it), but never more than twice <paramref name="previous"/>. The rate since the last
    /// poll, not since the job closed: a job first waits in the queue and parses its upload with nothing processed, and
    /// that time would make the rest look slower than it is (a 100,000-row job in the emulator overshot its end by 4 s).
    /// The doubling cap keeps the first, still low, rate from sending the next poll far past the end. Either way between
    /// <see cref="First"/> and <see cref="Longest"/>.
    /// </summary>
    public static TimeSpan Next(TimeSpan previous, TimeSpan sinceLastPoll, long processedBefore, long processed, long rows)
    {
        var progress = processed - processedBefore;
        var next = progress > 0
            ? TimeSpan.FromTicks(Math.Min((long)(sinceLastPoll.Ticks * (double)Math.Max(0, rows - processed) / progress), (previous * 2).Ticks))
            : previous * 2;
        return next < First ? First : next > Longest ? Longest : next;
    }
}
