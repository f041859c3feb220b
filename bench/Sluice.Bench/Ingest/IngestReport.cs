using System.Globalization;
using Sluice.Bench.Harness;
using static Sluice.Bench.Harness.ReportFormat;

namespace Sluice.Bench.Ingest;

/// <summary>The result as a table on the console: one line per number, next to PostgreSQL's own rate.</summary>
internal static class IngestReport
{
    private const int Width = 100;

    public static void Print(IngestResult r)
    {
        var m = r.Machine;
        Console.WriteLine();
        Console.WriteLine($"ingest: {r.Events:N0} Segment track calls ({r.EventBytes:N0} B each) in batches of {r.BatchSize} from {r.Clients} HTTP clients on loopback");
        Console.WriteLine(new string('-', Width));
        Row("machine", $"{m.Processors} CPUs, {m.CpuModel}, {m.MemoryGigabytes:F1} GB", "");
        Row("", $"PostgreSQL {m.PostgresVersion}, {m.Runtime}", "");
        Row("", $"shared_buffers={Setting(m, "shared_buffers")} fsync={Setting(m, "fsync")} synchronous_commit={Setting(m, "synchronous_commit")}", "");
        if (r.RawQueue is { } queue)
        {
            Row("raw COPY queue", Rate(queue.RowsPerSecond), $"binary COPY into the ingest queue's table, one transaction ({queue.Seconds:F2} s)");
            Row("  CPU per row", $"{queue.PostgresCpuMicrosecondsPerRow,9:F1} µs PostgreSQL", $"the COPY's client (Npgsql's importer, in the bench) {queue.ClientCpuMicrosecondsPerRow:F1} µs");
        }

        if (r.RawEvents is { } events)
        {
            Row("raw COPY events", Rate(events.RowsPerSecond), $"binary COPY into an events table (uuid key, jsonb) ({events.Seconds:F2} s)");
        }

        if (r.AcceptOnly is { } accept)
        {
            Row("accepted", Rate(accept.Accept.AcceptedPerSecond), $"durable 200s, no sync; {Request(accept.Accept)}");
            Row("  ÷ raw COPY", Percent(r.AcceptRatio), Verdict(r.AcceptTargetMet, $"target >= {IngestResult.AcceptRatioTarget * 100:F0}% of raw COPY queue"));
            Row("  CPU per event", accept.Accept.ServerCpuMicrosecondsPerEvent is { } us ? $"{us,9:F1} µs sluice" : "?",
                $"sluice run's CPU during the load ÷ events accepted (target <= {IngestResult.AcceptCpuTargetMicroseconds:F0} µs); second half {accept.Accept.SecondHalfServerCpuMicrosecondsPerEvent:F1} µs");
            if (accept.PostgresCpuMicrosecondsPerEvent is { } server)
            {
                Row("  PostgreSQL CPU", $"{server,9:F1} µs", $"the cluster's CPU (every process) during the load ÷ events accepted; WAL {accept.WalBytesPerEvent:N0} B per event");
            }

            Row("", "", $"sluice run: {accept.CpuSeconds:F1} s CPU, peak RSS {accept.PeakRssMegabytes:N0} MB; the bench's clients: {accept.Accept.ClientCpuSeconds:F1} s CPU{Failed(accept.Accept)}");
            if (accept.Accept.ServerCpuMicrosecondsPerEvent is { } sluice && accept.PostgresCpuMicrosecondsPerEvent is { } postgres && accept.Accept.Accepted > 0)
            {
                // On a machine of N cores shared by all three, the rate cannot exceed N cores ÷ their CPU per event.
                var clients = accept.Accept.ClientCpuSeconds * 1e6 / accept.Accept.Accepted;
                var total = clients + sluice + postgres;
                Row("  whole machine", $"{total,9:F1} µs per event", $"clients {clients:F1} + sluice {sluice:F1} + PostgreSQL {postgres:F1}; {m.Processors} cores ÷ that = {m.Processors * 1e6 / total:N0} events/s at most");
            }

            if (accept.Settling is { } settling)
            {
                Row("  settled first", Rate(settling.AcceptedPerSecond), $"{settling.Accepted:N0} events before the timed load (cold process, not in the result): {settling.ServerCpuMicrosecondsPerEvent:F1} µs sluice CPU per event");
            }
        }

        if (r.EventsTable is { } eventsTable)
        {
            Landing(eventsTable, r.AcceptOnly, r.EventsLandingRatio, Verdict(r.EventsLandingTargetMet, $"target >= {IngestResult.EventsLandingRatioTarget * 100:F0}% of raw COPY events"));
        }

        if (r.Latency is { } latency)
        {
            var l = latency.RequestMilliseconds;
            var target = (int)latency.EventsPerSecond == IngestResult.LatencyTargetRate
                ? Verdict(r.LatencyTargetMet, $"target p99 < {IngestResult.LatencyP99TargetMilliseconds:F0} ms")
                : $"target applies at {IngestResult.LatencyTargetRate:N0} events/s";
            Row($"latency @{latency.EventsPerSecond:N0}/s", l is null ? "?" : $"p50 {l.P50:F1} ms, p99 {l.P99:F1} ms", target);
            Row("", "", $"max {l?.Max:F1} ms, from each request's scheduled time; {latency.Requests:N0} requests over {latency.WallSeconds:F1} s, open loop, {(r.EventsTable is null ? "no sync" : "events-table sync")} running");
            if (latency.ServiceMilliseconds is { } service)
            {
                Row("", "", $"from the actual send: p50 {service.P50:F1} ms, p99 {service.P99:F1} ms, max {service.Max:F1} ms; bench late by {latency.LatestSendMilliseconds:F1} ms at worst{FailedFixed(latency)}");
            }
        }

        if (r.Warehouse is { } warehouse)
        {
            Landing(warehouse, r.AcceptOnly, r.WarehouseLandingRatio, "no target");
            if (warehouse.Tables is { Count: > 0 } tables)
            {
                Row("", "", "tables: " + string.Join(", ", tables.Select(t => $"{t.Key} {t.Value:N0}")));
            }
        }

        if (r.Error is not null)
        {
            Console.WriteLine(new string('-', Width));
            Console.WriteLine($"FAILED: {r.Error}");
        }

        Console.WriteLine(new string('-', Width));
    }

    private static void Landing(IngestPhase phase, IngestPhase? acceptOnly, double? ratio, string verdict)
    {
        var name = phase.Name == "warehouse" ? "warehouse" : "events table";
        Row($"landed {name}", phase.LandedPerSecond is { } rate ? Rate(rate) : "?",
            $"first request to {Count(phase.Landed)} in {phase.Destination} in {phase.LandedSeconds:F2} s{(phase.ProbeTrusted is false ? " (timed by count every 500 ms)" : "")}");
        Row("  ÷ raw COPY", Percent(ratio), verdict);
        Row("", "", $"accepted meanwhile {phase.Accept.AcceptedPerSecond:N0} events/s; {Request(phase.Accept)}");
        Row("", "", $"sluice run: {phase.CpuSeconds:F1} s CPU, peak RSS {phase.PeakRssMegabytes:N0} MB; the bench's clients: {phase.Accept.ClientCpuSeconds:F1} s CPU{Failed(phase.Accept)}");
        if (phase.CpuMicrosecondsPerEvent is { } perEvent)
        {
            var landing = acceptOnly?.CpuMicrosecondsPerEvent is { } accepting ? $"; landing alone ≈ {perEvent - accepting:F1} µs (less accept only's {accepting:F1} µs)" : "";
            Row("  CPU per event", $"{perEvent,9:F1} µs", $"sluice run's CPU to accept and land each event, until the last landed{landing}");
        }

        if (phase.PostgresCpuMicrosecondsPerEvent is { } server)
        {
            var landing = acceptOnly?.PostgresCpuMicrosecondsPerEvent is { } accepting ? $"; landing alone ≈ {server - accepting:F1} µs (less accept only's {accepting:F1} µs)" : "";
            var wal = acceptOnly?.WalBytesPerEvent is { } acceptWal ? $"; landing alone ≈ {phase.WalBytesPerEvent - acceptWal:N0} B" : "";
            Row("  PostgreSQL CPU", $"{server,9:F1} µs", $"the cluster's CPU from the first request to the last landed ÷ events{landing}; WAL {phase.WalBytesPerEvent:N0} B per event{wal}");
        }

        if (phase.CpuMicrosecondsPerEvent is { } sluice && phase.PostgresCpuMicrosecondsPerEvent is { } postgres && phase.Landed is > 0 and var events)
        {
            var clients = phase.Accept.ClientCpuSeconds * 1e6 / events;
            Row("  whole machine", $"{clients + sluice + postgres,9:F1} µs per event", $"clients {clients:F1} + sluice {sluice:F1} + PostgreSQL {postgres:F1}");
        }
    }

    private static string Request(AcceptRun run) => run.RequestMilliseconds is { } l
        ? $"request p50 {l.P50:F1} ms, p99 {l.P99:F1} ms at saturation"
        : "no request answered";

    private static string Failed(AcceptRun run) =>
        run.Failures.Count == 0 ? "" : "; NOT ACCEPTED: " + string.Join(", ", run.Failures.Select(f => $"{f.Value:N0} × {f.Key}"));

    private static string FailedFixed(FixedRateRun run) =>
        run.Failures.Count == 0 ? "" : "; NOT ACCEPTED: " + string.Join(", ", run.Failures.Select(f => $"{f.Value:N0} × {f.Key}"));

    private static void Row(string name, string value, string note) => Console.WriteLine($"{name,-22} {value,-24} {note}".TrimEnd());

    private static string Rate(double perSecond) => $"{perSecond,12:N0} events/s";
}
