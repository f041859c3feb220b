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
}
