namespace Sluice.Salesforce.Bulk;

/// <summary>
/// When to poll a Bulk ingest job's state next, from the progress its polls report. Every poll is an API request, so
/// the schedule aims each poll that is meant to find the job done a margin past the end its rate predicts: a poll aimed
/// exactly at the predicted end finds a job that ran a little slower still at 99% and costs another (the bench's
/// 100,000-row job took 4 to 8 polls so, 9 to 13 requests). One schedule per job: it remembers the count seen and
/// whether its last poll was aimed past the end.
/// </summary>
internal sealed class BulkPollDelay
{
    /// <summary>The first poll: small jobs are often done by then.</summary>
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait without a rate to aim with (no progress yet, or a rate still capped).</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The longest wait aimed from a rate: a job stretched to 20-40 s by a loaded machine is seen done by its fifth poll
    /// (a cap of 10 s took six and seven), and a job's end is never missed by more than this.
    /// </summary>
    public static readonly TimeSpan LongestAimed = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How far past the predicted end a poll is aimed: this share of the predicted rest, plus <see cref="Pad"/>. A job
    /// whose rest runs up to this much slower than its rate so far is still seen done by that one poll.
    /// </summary>
    public const double Margin = 0.15;

    /// <summary>Added to every aimed poll: a job's state changes a moment after its last record is processed.</summary>
    public static readonly TimeSpan Pad = TimeSpan.FromMilliseconds(100);

    // A rate seen over a shorter window right after the first progress still moves with the job's start (the emulator's
    // first chunks ran at about half the speed of the rest while the client was still busy).
    private static readonly TimeSpan SteadyWindow = TimeSpan.FromSeconds(1);

    private readonly long _rows;
    private long _processedBefore;
    private double _margin = Margin;
    private bool _aimedPastEnd;

    /// <param name="rows">The rows the job holds.</param>
    public BulkPollDelay(long rows)
    {
        _rows = rows;
    }

    /// <summary>The wait before the next poll: <see cref="First"/> until <see cref="Next"/> is called.</summary>
    public TimeSpan Current { get; private set; } = First;

    /// <summary>
    /// The wait before the next poll, after a poll <paramref name="sinceLastPoll"/> after the one before (or after the
    /// job was closed) found it not done, <paramref name="processed"/> rows processed.
    /// <list type="bullet">
    /// <item>No progress since the last poll: twice the last wait (still queued, or parsing the upload).</item>
    /// <item>
    /// Progress: the rest at the rate seen since the last poll (not since the job closed: the queue and parse time, with
    /// nothing processed, would make the rest look slower than it is), times 1 + the margin, plus <see cref="Pad"/>.
    /// </item>
    /// <item>
    /// The first progress seen, whose interval may hold queue time, at most twice the last wait: its low rate would
    /// send the poll far past the end. After it, a rate seen over less than a second at most four times the last wait;
    /// one seen over a second or more of processing aims straight past the end.
    /// </item>
    /// <item>
    /// A poll aimed past the end that did not find the job done (the job slowed down by more than the margin): the
    /// margin doubles, so a job that keeps slowing is seen done within a few polls, never one poll a quarter second.
    /// </item>
    /// </list>
    /// Always between <see cref="First"/> and <see cref="Longest"/>, or <see cref="LongestAimed"/> for a poll aimed from a rate.
    /// </summary>
    public TimeSpan Next(TimeSpan sinceLastPoll, long processed)
    {
        var progress = processed - _processedBefore;
        var first = _processedBefore <= 0;
        _processedBefore = Math.Max(_processedBefore, processed);
        if (_aimedPastEnd)
        {
            _margin *= 2;
        }

        TimeSpan next;
        if (progress <= 0)
        {
            next = Current * 2 > Longest ? Longest : Current * 2;
            _aimedPastEnd = false;
        }
        else
        {
            var rest = sinceLastPoll.Ticks * (double)Math.Max(0, _rows - processed) / progress;
            var aimed = TimeSpan.FromTicks((long)Math.Min(rest * (1 + _margin), TimeSpan.MaxValue.Ticks / 2)) + Pad;
            var cap = first ? Current * 2 : sinceLastPoll < SteadyWindow ? Current * 4 : TimeSpan.MaxValue;
            if (aimed > cap)
            {
                next = cap > Longest ? Longest : cap;
                _aimedPastEnd = false;
            }
            else
            {
                next = aimed > LongestAimed ? LongestAimed : aimed;
                _aimedPastEnd = aimed <= LongestAimed;
            }
        }

        Current = next < First ? First : next > LongestAimed ? LongestAimed : next;
        return Current;
    }

    /// <summary>Twice <paramref name="previous"/>, between <see cref="First"/> and <see cref="Longest"/>: for a job that reports no progress.</summary>
    public static TimeSpan Doubled(TimeSpan previous)
    {
        var next = previous * 2;
        return next < First ? First : next > Longest ? Longest : next;
    }
}
