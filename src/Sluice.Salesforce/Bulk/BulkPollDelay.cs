namespace Sluice.Salesforce.Bulk;

/// <summary>How long to wait before polling a Bulk ingest job's state again.</summary>
internal static class BulkPollDelay
{
    /// <summary>The first poll: small jobs are often done by then.</summary>
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait: a job's end is never missed by more than this.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The next delay. Without progress yet, doubling from <paramref name="previous"/>; with progress, the time the
    /// remaining rows need at the rate seen so far (elapsed × remaining ÷ processed), so a job of any size takes two or
    /// three polls instead of overshooting its end by up to its own length. Either way between <see cref="First"/> and
    /// <see cref="Longest"/>.
    /// </summary>
    public static TimeSpan Next(TimeSpan previous, TimeSpan elapsed, long processed, long rows)
    {
        var next = processed > 0
            ? TimeSpan.FromTicks((long)(elapsed.Ticks * (double)Math.Max(0, rows - processed) / processed))
            : previous * 2;
        return next < First ? First : next > Longest ? Longest : next;
    }
}
