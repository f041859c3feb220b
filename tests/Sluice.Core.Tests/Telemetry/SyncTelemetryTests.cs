using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Sluice.Core.Engine;
using Sluice.Core.State;
using Sluice.Core.Telemetry;
using Sluice.Core.Tests.Engine;
using Sluice.Testing.Doubles;

namespace Sluice.Core.Tests.Telemetry;

/// <summary>
/// The engine's metrics and spans, heard as an OpenTelemetry provider (or any listener) hears them. Each test runs a
/// sync of its own name: other tests run syncs in this process at the same time, and instruments are process-wide.
/// </summary>
public sealed class SyncTelemetryTests
{
    private static int _counter;

    [Fact]
    public async Task A_run_has_a_span_named_for_its_sync_with_a_batch_span_per_committed_batch()
    {
        var name = UniqueName();
        var exported = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(SluiceTelemetry.Name).AddInMemoryExporter(exported).Build();
        var harness = new SyncHarness(250, SyncHarness.Limits(maxRecords: 100));

        await RunAsync(harness, name);

        var mine = exported.Where(a => Equals(a.GetTagItem(SluiceTelemetry.SyncAttribute), name)).ToList();
        var run = Assert.Single(mine, a => a.DisplayName == SluiceTelemetry.RunSpan);
        var batches = mine.Where(a => a.DisplayName == SluiceTelemetry.BatchSpan).ToList();
        Assert.Equal(3, batches.Count);
        Assert.All(batches, b => Assert.Equal(run.SpanId, b.ParentSpanId));
        Assert.All(batches, b => Assert.Equal(run.TraceId, b.TraceId));
        Assert.Equal(250L, batches.Sum(b => (long)b.GetTagItem("sluice.batch.records.sent")!));
    }

    [Fact]
    public async Task Records_read_sent_and_rejected_and_each_batch_latency_are_measured_for_the_sync()
    {
        var name = UniqueName();
        var counted = new Dictionary<string, long>(StringComparer.Ordinal);
        var latencies = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SluiceTelemetry.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (IsFor(tags, name))
            {
                lock (counted)
                {
                    counted[instrument.Name] = counted.GetValueOrDefault(instrument.Name) + value;
                }
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "sluice.sync.batch.duration" && IsFor(tags, name))
            {
                lock (latencies)
                {
                    latencies.Add(value);
                }
            }
        });
        listener.Start();
        var harness = new SyncHarness(10, SyncHarness.Limits(maxRecords: 4)) { Destination = new FakeDestination(SyncHarness.Limits(maxRecords: 4)) { UnencodableKeys = new HashSet<string> { "3" } } };

        await RunAsync(harness, name);

        Assert.Equal(10L, counted.GetValueOrDefault("sluice.sync.records.read"));
        Assert.Equal(9L, counted.GetValueOrDefault("sluice.sync.records.sent"));
        Assert.Equal(1L, counted.GetValueOrDefault("sluice.sync.records.rejected"));
        Assert.Equal(3, latencies.Count);
        Assert.All(latencies, l => Assert.True(l >= 0));
    }

    private static bool IsFor(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "sync" && Equals(tag.Value, name))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task RunAsync(SyncHarness harness, string name)
    {
        var sync = new SyncDefinition(name, harness.Source, SyncHarness.Mapping, harness.Destination, harness.Gate, harness.Options);
        var run = Task.Run(() => new SyncRunner(harness.Store, harness.Time, harness.Observer).RunAsync(sync, RunKind.Incremental, default));
        await harness.Time.AdvanceUntilCompletedAsync(run);
        await run;
    }

    private static string UniqueName() => $"telemetry_{Interlocked.Increment(ref _counter)}";
}
