using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.State;
using Sluice.Core.Telemetry;
using Sluice.Emulators.Segment;
using Sluice.Segment.Destination;
using Sluice.State;
using Sluice.State.Ingest;
using Sluice.State.Ingest.Http;
using Sluice.Testing;
using static Sluice.Postgres.Tests.Ingest.IngestTestDatabase;

namespace Sluice.Postgres.Tests.Ingest;

/// <summary>
/// Traces from an ingest request to the batch that sent its events and the destination's answer: the request's trace
/// context goes through the durable queue (real PostgreSQL) and the batch span links to it; the write to Segment (the
/// in-process emulator) is a child of the batch span. Heard by an <see cref="ActivityListener"/> in this process.
/// </summary>
public sealed class IngestTraceTests
{
    private const string SyncName = "traced_web_to_segment";
    private const string WriteKey = "traced-web-key";
    private static readonly ConfigLocation Location = new("sluice.yaml", 1, 1, "syncs." + SyncName);

    /// <summary>Stands for the web server's request spans (ASP.NET Core's, in <c>sluice run</c>).</summary>
    private static readonly ActivitySource Requests = new(RequestsName);

    private const string RequestsName = "Sluice.Tests.IngestRequests";

    [Fact]
    public async Task A_batch_span_links_to_the_ingest_requests_of_its_events_and_its_writes_to_Segment_are_its_children()
    {
        Assert.False(Requests.HasListeners());
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is SluiceTelemetry.Name or RequestsName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await using var db = await CreateAsync(nameof(A_batch_span_links_to_the_ingest_requests_of_its_events_and_its_writes_to_Segment_are_its_children));
        var store = await PostgresStateStore.OpenAsync(db.DataSource, Schema);
        await using var queue = db.Queue();
        var route = IngestApi.Routes(new IngestApiOptions
        {
            Sources = [new IngestConnectionOptions { Name = "web", WriteKey = new Secret(WriteKey) }],
            Queue = _ => Task.FromResult<IIngestQueue>(queue),
        }).Single(r => r.Pattern == "/v1/{call}");

        // Two clients' requests, each in a trace of its own (as a traceparent header makes ASP.NET Core's request span).
        var traces = new[] { ActivityTraceId.CreateRandom(), ActivityTraceId.CreateRandom() };
        for (var r = 0; r < traces.Length; r++)
        {
            var client = new ActivityContext(traces[r], ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
            using var request = Requests.StartActivity("POST /v1/batch", ActivityKind.Server, client);
            var body = $$$"""{"batch":[{"type":"identify","userId":"user-{{{r}}}-1","traits":{"n":1}},{"type":"identify","userId":"user-{{{r}}}-2"}]}""";
            var answer = await route.HandleAsync(new PostedJson("/v1/batch", body, WriteKey));
            Assert.Equal(200, answer.Status);
        }

        await using var emulator = await SegmentEmulator.StartAsync(new SegmentEmulatorOptions { Port = 0, WriteKeys = [WriteKey] });
        await using var destination = new SegmentDestination(SyncName,
            new SegmentConnectionOptions { Name = "segment", WriteKey = new Secret(WriteKey), Endpoint = emulator.BaseUrl },
            new SegmentDestinationOptions(), TimeProvider.System);
        await using var source = new IngestQueueSource(db.DataSource, Schema, "web",
            new IngestQueueSourceOptions { PollInterval = TimeSpan.FromMilliseconds(20) });
        var mapping = new MappingSpec([new FieldSpec("user_id", "event_id", null, Location), new FieldSpec("traits", null, [new FieldSpec("kind", "type", null, Location)], Location)], Location);
        var sync = new SyncDefinition(SyncName, source, mapping, destination, new DeliveryGate(new RateLimitOptions(), TimeProvider.System), new SyncRunOptions());

        using var stop = new CancellationTokenSource();
        var run = new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, stop.Token);
        List<Activity> Batches() => [.. stopped.Where(a => a.DisplayName == SluiceTelemetry.BatchSpan && Equals(a.GetTagItem(SluiceTelemetry.SyncAttribute), SyncName))];
        await Eventually.HoldsAsync(() => Batches().Sum(b => (long)b.GetTagItem("sluice.batch.records.sent")!) == 4, "the four events' batches committed",
            state: () => $"{emulator.Messages().Count} events at Segment, {Batches().Count} batch spans");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        var batches = Batches();
        var linked = batches.SelectMany(b => b.Links).Select(l => l.Context.TraceId).ToHashSet();
        await using (var stored = db.DataSource.CreateCommand($"SELECT string_agg(coalesce(trace_parent, 'null'), ' ') FROM {Schema}.ingest_queue"))
        {
            Assert.True(traces.ToHashSet().SetEquals(linked), $"linked {string.Join(",", linked)}; requests {string.Join(",", traces)}; stored {await stored.ExecuteScalarAsync()}");
        }

        Assert.All(batches, b => Assert.InRange(b.Links.Count(), 0, SluiceTelemetry.MaxBatchLinks));

        var writes = stopped.Where(a => a.DisplayName == SluiceTelemetry.DestinationWriteSpan && batches.Any(b => b.SpanId == a.ParentSpanId)).ToList();
        Assert.NotEmpty(writes);
        Assert.Equal(4, writes.Sum(w => (int)w.GetTagItem("sluice.write.acknowledged")!));
        Assert.All(writes, w =>
        {
            Assert.Equal("ok", w.GetTagItem(SluiceTelemetry.OutcomeAttribute));
            Assert.Equal(destination.Description, w.GetTagItem(SluiceTelemetry.DestinationAttribute));
            Assert.Equal(batches.Single(b => b.SpanId == w.ParentSpanId).TraceId, w.TraceId);
        });
        Assert.Equal(4, emulator.Messages().Count);
    }

    /// <summary>A POST of JSON with a write key, as the server hands a request to a route.</summary>
    private sealed class PostedJson(string path, string json, string writeKey) : HttpIngressRequest
    {
        private readonly MemoryStream _body = new(Encoding.UTF8.GetBytes(json));

        public override string Method => "POST";

        public override string Path => path;

        public override long? ContentLength => _body.Length;

        public override Stream Body => _body;

        public override CancellationToken Aborted => CancellationToken.None;

        public override string Header(string name) => name.ToLowerInvariant() switch
        {
            "authorization" => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")),
            "content-type" => "application/json",
            _ => "",
        };

        public override void LimitBody(long bytes)
        {
        }
    }
}
