using Sluice.Bench.Harness;

namespace Sluice.Bench.Ingest;

/// <summary>
/// One load against the ingest API: how many events it sent and got a 200 for, in what wall time (first request out
/// to the last answer), and how long each request took.
/// </summary>
/// <param name="Phase">What ran in <c>sluice run</c> meanwhile (no sync, the events-table sync, …).</param>
/// <param name="ClientCpuSeconds">CPU the bench's own clients used meanwhile, taken from the same cores as the server's.</param>
/// <param name="Failures">Answers other than 200, by status (or the exception's type when there was no answer).</param>
internal sealed record AcceptRun(
    string Phase,
    int Clients,
    long Sent,
    long Accepted,
    double WallSeconds,
    double ClientCpuSeconds,
    IReadOnlyDictionary<string, long> Failures,
    LatencySummary? RequestMilliseconds)
{
    public double AcceptedPerSecond => Accepted / WallSeconds;

    /// <summary>User+system CPU of the <c>sluice run</c> process from the load's first request to its last answer (a sync running meanwhile included).</summary>
    public double? ServerCpuSeconds { get; init; }

    /// <summary><see cref="ServerCpuSeconds"/> per accepted event, in microseconds: steadier than rates on a shared machine.</summary>
    public double? ServerCpuMicrosecondsPerEvent => ServerCpuSeconds is { } cpu && Accepted > 0 ? cpu * 1e6 / Accepted : null;

    /// <summary>The server's CPU from the moment the middle batch went out to the last answer: past most of its JIT work.</summary>
    public double? SecondHalfServerCpuSeconds { get; init; }

    /// <summary>Events of the second half of the batches that were accepted (the in-flight overlap at the midpoint is ignored).</summary>
    public long SecondHalfAccepted { get; init; }

    public double? SecondHalfServerCpuMicrosecondsPerEvent => SecondHalfServerCpuSeconds is { } cpu && SecondHalfAccepted > 0 ? cpu * 1e6 / SecondHalfAccepted : null;
}
