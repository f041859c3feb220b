using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Engine.Processing;
using Sluice.Core.Mapping;
using Sluice.Core.State;
using Sluice.Testing;
using Sluice.Testing.Doubles;

namespace Sluice.Core.Tests.Engine;

/// <summary>
/// One sync, <c>users_to_fake</c>, wired to in-memory doubles and a fake clock: a <see cref="FakeSource"/> of
/// <c>records</c> changes, a <see cref="FakeDestination"/>, an <see cref="InMemoryStateStore"/>.
/// </summary>
internal sealed class SyncHarness
{
    public const string SyncName = "users_to_fake";

    private static readonly ConfigLocation Location = new("test.yaml", 1, 1, "syncs.users_to_fake.mapping");

    public SyncHarness(int records, DestinationLimits? limits = null, InMemoryStateStore? store = null)
    {
        Source = new FakeSource(records);
        Destination = new FakeDestination(limits);
        Store = store ?? new InMemoryStateStore();
        Gate = new DeliveryGate(new RateLimitOptions(), Time);
    }

    /// <summary><c>id: id</c> and <c>traits: {email: email, name: name}</c>.</summary>
    public static MappingSpec Mapping { get; } = new(
        [
            new FieldSpec("id", "id", null, Location),
            new FieldSpec("traits", null, [new FieldSpec("email", "email", null, Location), new FieldSpec("name", "name", null, Location)], Location),
        ],
        Location);

    public TimerAwareFakeTimeProvider Time { get; } = new();

    public FakeSource Source { get; init; }

    /// <summary>When set, the run reads this never-ending source instead of <see cref="Source"/>.</summary>
    public StreamingSource? StreamingSource { get; init; }

    public FakeDestination Destination { get; init; }

    public InMemoryStateStore Store { get; }

    public DeliveryGate Gate { get; }

    public RecordingObserver Observer { get; } = new();

    public SyncRunOptions Options { get; init; } = new();

    /// <summary>The sync's processors, in order; none by default.</summary>
    public IReadOnlyList<IRecordProcessor> Processors { get; init; } = [];

    /// <summary>Starts a run on the thread pool; the test moves the clock while it runs.</summary>
    public Task<RunResult> StartAsync(RunKind kind = RunKind.Incremental, CancellationToken ct = default)
    {
        var sync = new SyncDefinition(SyncName, (ISource?)StreamingSource ?? Source, Mapping, Destination, Gate, Options) { Processors = Processors };
        var runner = new SyncRunner(Store, Time, Observer);
        return Task.Run(() => runner.RunAsync(sync, kind, ct), CancellationToken.None);
    }

    /// <summary>Runs to the end, jumping the clock over every delay the run schedules.</summary>
    public async Task<RunResult> RunAsync(RunKind kind = RunKind.Incremental, CancellationToken ct = default)
    {
        var run = StartAsync(kind, ct);
        await Time.AdvanceUntilCompletedAsync(run);
        return await run;
    }

    public IReadOnlyList<string> SentKeys() => Store.Commits.SelectMany(c => c.Sent).Select(e => e.RecordKey).ToList();

    public static DestinationLimits Limits(int maxRecords = 100, int maxBatchBytes = 100_000, int maxRecordBytes = 1_000, int maxInFlight = 1) =>
        new(maxRecords, maxBatchBytes, maxRecordBytes, maxInFlight);

    public static IReadOnlyList<string> Keys(int from, int count) =>
        Enumerable.Range(from, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
}
