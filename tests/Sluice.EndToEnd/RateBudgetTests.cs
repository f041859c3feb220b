using Sluice.Core.Engine;
using Sluice.Core.State;
using Sluice.Emulators.Segment;
using Sluice.Server.Hosting;

namespace Sluice.EndToEnd;

/// <summary>
/// A destination's budget shared through the state database: two workspaces (separate pools, separate
/// gates: two processes as far as the budget can tell) each run their own sync to one Segment connection
/// with a budget of 20 requests/s and batches of 10.
/// </summary>
public sealed class RateBudgetTests
{
    private const string LiveSync = "live_users_to_segment";
    private const int LiveIds = 1_000_000;
    private const int RequestsPerSecond = 20;
    private const int BatchSize = 10;

    [Fact]
    public async Task Two_processes_sharing_a_destination_together_stay_within_its_budget()
    {
        await using var bed = await CreateAsync(nameof(Two_processes_sharing_a_destination_together_stay_within_its_budget), 300);
        await using var first = bed.Workspace();
        await using var second = bed.Workspace();

        await Task.WhenAll(
            first.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default),
            second.RunAsync(LiveSync, RunKind.Incremental, null, default));

        Assert.Equal(600, bed.Emulator.Stats.Unique);
        Assert.Equal(0, bed.Emulator.Stats.Duplicates);
        var received = bed.Emulator.Messages().Select(m => m.ReceivedAt).Order().ToList();
        // 60 requests at 20/s, after a first burst of a quarter second's worth (5): alone, each would take 1.5 s.
        Assert.True(received[^1] - received[0] >= TimeSpan.FromSeconds(2.5), $"60 requests took {received[^1] - received[0]}");
        // The budget shows in the total duration above (two unshared budgets would finish in about half of it).
        // Per second the limit is 20 requests plus a burst of 5; receive times at the emulator bunch by up to
        // half a second when the machine stalls (CI runs test projects in parallel on two cores), so a window may
        // hold up to 1.5 seconds' worth of sends.
        Assert.InRange(MaxInOneSecond(received), 1, (RequestsPerSecond * 3 / 2 + 5 + 2) * BatchSize);
        Assert.Equal(1L, await bed.ScalarAsync("SELECT count(*) FROM sluice.rate_budgets WHERE destination = 'segment'"));
    }

    [Fact]
    public async Task A_backfill_never_exceeds_its_share_while_live_traffic_gets_through()
    {
        await using var bed = await CreateAsync(nameof(A_backfill_never_exceeds_its_share_while_live_traffic_gets_through), 200);
        await using var backfilling = bed.Workspace();
        await using var live = bed.Workspace();

        await Task.WhenAll(
            RunAsync(backfilling, SyncTestBed.SyncName, DeliveryLane.Backfill),
            live.RunAsync(LiveSync, RunKind.Incremental, null, default));

        Assert.Equal(400, bed.Emulator.Stats.Unique);
        var messages = bed.Emulator.Messages();
        var backfill = messages.Where(m => long.Parse(m.UserId!, System.Globalization.CultureInfo.InvariantCulture) < LiveIds).Select(m => m.ReceivedAt).Order().ToList();
        var liveReceived = messages.Where(m => long.Parse(m.UserId!, System.Globalization.CultureInfo.InvariantCulture) >= LiveIds).Select(m => m.ReceivedAt).Order().ToList();
        // A quarter of 20/s is 5 requests/s, taken two at a time; 20 requests take 3.6 s.
        // As above, up to 1.5 seconds' worth of sends may land in one second of receive time.
        Assert.InRange(MaxInOneSecond(backfill), 1, (5 * 3 / 2 + 2 + 1) * BatchSize);
        Assert.True(backfill[^1] - backfill[0] >= TimeSpan.FromSeconds(3), $"the backfill's 20 requests took {backfill[^1] - backfill[0]}");
        // Live has at least the other 15/s: its 20 requests are through long before the backfill's.
        Assert.True(liveReceived[^1] - liveReceived[0] <= TimeSpan.FromSeconds(2.5), $"live's 20 requests took {liveReceived[^1] - liveReceived[0]}");
        Assert.True(liveReceived[^1] < backfill[^1]);
    }

    [Fact]
    public async Task A_pause_one_process_hears_holds_every_other_process()
    {
        await using var bed = await CreateAsync(nameof(A_pause_one_process_hears_holds_every_other_process), 50);
        await using var first = bed.Workspace();
        await using var second = bed.Workspace();
        await first.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default);

        // As the retry pipeline does on a 429 with "Retry-After: 2".
        var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2);
        Gate(first, SyncTestBed.SyncName).PauseUntil(until);

        // The pause reaches the shared budget in the background; the other process is started once it is there.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await bed.ScalarAsync("SELECT paused_until FROM sluice.rate_budgets WHERE destination = 'segment'") is not DateTime stored || stored < until.UtcDateTime.AddMilliseconds(-1))
        {
            Assert.True(DateTime.UtcNow < deadline, "the pause never reached the shared budget");
            await Task.Delay(10);
        }

        await second.RunAsync(LiveSync, RunKind.Incremental, null, default);

        var live = bed.Emulator.Messages().Where(m => long.Parse(m.UserId!, System.Globalization.CultureInfo.InvariantCulture) >= LiveIds).ToList();
        Assert.Equal(50, live.Count);
        // The emulator stamps whole milliseconds.
        Assert.All(live, m => Assert.True(m.ReceivedAt >= until - TimeSpan.FromMilliseconds(1), $"{m.ReceivedAt:O} is before the pause ended at {until:O}"));
    }

    [Fact]
    public async Task A_429_storm_slows_the_shared_budget_and_everything_still_arrives_exactly_once()
    {
        await using var bed = await CreateAsync(nameof(A_429_storm_slows_the_shared_budget_and_everything_still_arrives_exactly_once), 80,
            new SegmentFaultOptions { RateLimitRate = 0.5, RetryAfterSeconds = 1, Seed = 20261121 });
        await using var first = bed.Workspace();
        await using var second = bed.Workspace();

        var results = await Task.WhenAll(
            first.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default),
            second.RunAsync(LiveSync, RunKind.Incremental, null, default));

        Assert.All(results, r => Assert.Equal(80, r.Acknowledged));
        Assert.True(bed.Emulator.Stats.RateLimited > 0, "the emulator should have answered some requests with 429");
        Assert.Equal(160, bed.Emulator.Stats.Unique);
        Assert.Equal(0, bed.Emulator.Stats.Duplicates);
        // The 429s paused the budget every process reads, not only the process that got them.
        var paused = (DateTime)(await bed.ScalarAsync("SELECT paused_until FROM sluice.rate_budgets WHERE destination = 'segment'"))!;
        Assert.True(paused > DateTime.UtcNow - TimeSpan.FromMinutes(1));
        Assert.True(Gate(first, SyncTestBed.SyncName).PausedUntil > DateTimeOffset.MinValue);
        Assert.True(Gate(second, LiveSync).PausedUntil > DateTimeOffset.MinValue);
    }

    /// <summary>
    /// The test bed's sync and a second one, <see cref="LiveSync"/>, reading a copy of the users with ids from
    /// <see cref="LiveIds"/>, both to the one Segment connection: 20 requests/s, batches of 10.
    /// </summary>
    private static async Task<TestBed> CreateAsync(string name, int users, SegmentFaultOptions? faults = null)
    {
        var bed = await SyncTestBed.CreateAsync(name, users, $"batch:\n  size: {BatchSize}",
            new SegmentEmulatorOptions { Port = 0, Faults = faults ?? new SegmentFaultOptions() });
        await bed.ScalarAsync(
            $"""
            CREATE TABLE live_users AS SELECT id + {LiveIds} AS id, email, plan, bio, updated_at FROM users;
            ALTER TABLE live_users ADD PRIMARY KEY (id);
            """);
        var yaml = await File.ReadAllTextAsync(bed.ConfigPath);
        var syncs = yaml.IndexOf("syncs:\n", StringComparison.Ordinal) + "syncs:\n".Length;
        var liveSync = yaml[syncs..]
            .Replace($"{SyncTestBed.SyncName}:", $"{LiveSync}:", StringComparison.Ordinal)
            .Replace("table: public.users", "table: public.live_users", StringComparison.Ordinal);
        yaml = yaml.Replace("requests_per_second: 10000", $"requests_per_second: {RequestsPerSecond}\n      backfill_share: 0.25", StringComparison.Ordinal);
        await File.WriteAllTextAsync(bed.ConfigPath, yaml + liveSync);
        return bed;
    }

    private static async Task<RunResult> RunAsync(SluiceWorkspace workspace, string syncName, DeliveryLane lane)
    {
        var sync = workspace.Build(workspace.FindSync(syncName));
        sync = sync with { Options = new SyncRunOptions { BatchSize = sync.Options.BatchSize, Lane = lane } };
        await using var source = sync.Source;
        await using var destination = sync.Destination;
        var state = await workspace.StateAsync(default);
        return await new SyncRunner(state, workspace.Time).RunAsync(sync, RunKind.Incremental, default);
    }

    private static DeliveryGate Gate(SluiceWorkspace workspace, string syncName) => workspace.Build(workspace.FindSync(syncName)).Gate;

    private static int MaxInOneSecond(List<DateTimeOffset> sorted) =>
        sorted.Select((t, i) => sorted.Skip(i).TakeWhile(u => u < t + TimeSpan.FromSeconds(1)).Count()).Max();
}
