using Sluice.Bench.Harness;

namespace Sluice.Bench.Ingest;

/// <summary>
/// The open-loop latency phase: requests scheduled by the clock at a fixed event rate; latency counts from each
/// request's scheduled time to its answer.
/// </summary>
/// <param name="LatestSendMilliseconds">How far behind its schedule the bench sent its worst request (its own lateness, included in the latencies).</param>
/// <param name="RequestMilliseconds">From each request's scheduled time to its answer: the latency judged.</param>
/// <param name="ServiceMilliseconds">From the moment the bench actually sent each request to its answer: without the bench's own lateness.</param>
internal sealed record FixedRateRun(
    double EventsPerSecond,
    int Requests,
    long Sent,
    long Accepted,
    double WallSeconds,
    double LatestSendMilliseconds,
    IReadOnlyDictionary<string, long> Failures,
    LatencySummary? RequestMilliseconds,
    LatencySummary? ServiceMilliseconds);
