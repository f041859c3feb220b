using Microsoft.Extensions.Logging.Testing;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Errors;
using Sluice.Server.Scheduling;
using Sluice.Testing;

namespace Sluice.Server.Tests.Scheduling;

/// <summary>
/// A <see cref="SyncScheduler"/> over <paramref name="syncs"/>, in process, on a <see cref="TimerAwareFakeTimeProvider"/>. The n-th
/// run (from 0, counted over all syncs) of a sync does what <c>behaviour(sync, n)</c> says: throws, returns a
/// <see cref="Failure"/> (reports a committed batch, then fails), or returns null (runs until stopped, or, with
/// <paramref name="endsRuns"/>, ends at once). Every run's start is recorded with the clock's time.
/// </summary>
internal sealed class SchedulerBed(IReadOnlyList<ScheduledSync> syncs, Func<string, int, SchedulerBed.Failure?> behaviour, bool endsRuns, DateTimeOffset? start = null)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly FakeLogger _log = new();
    private readonly List<(string Sync, DateTimeOffset At)> _runs = [];
    private readonly SemaphoreSlim _started = new(0);

    /// <summary>The syncs a run of which succeeded, as the state store keeps them (<c>schedule: once</c>); share it to model a restart.</summary>
    public HashSet<string> Succeeded { get; set; } = [];

    public TimerAwareFakeTimeProvider Clock { get; } = new(start ?? new DateTimeOffset(2025, 1, 6, 12, 0, 0, TimeSpan.Zero));

    public IReadOnlyList<string> Log => [.. _log.Collector.GetSnapshot().Select(r => r.Message)];

    /// <summary>Every run started so far: the sync and the clock's time at the start.</summary>
    public IReadOnlyList<(string Sync, DateTimeOffset At)> Runs
    {
        get
        {
            lock (_runs)
            {
                return [.. _runs];
            }
        }
    }

    /// <summary>A single sync.</summary>
    public static SchedulerBed One(string name, Schedule schedule, Func<int, Failure?> behaviour, bool endsRuns = false, DateTimeOffset? start = null) =>
        new([new ScheduledSync(name, schedule, [])], (_, attempt) => behaviour(attempt), endsRuns, start);

    /// <summary>Every sync of a config, with its <c>schedule:</c> and <c>after:</c> as the config reads them.</summary>
    public static IReadOnlyList<ScheduledSync> SyncsOf(SluiceConfig config) =>
        [.. config.Syncs.Select(s => new ScheduledSync(s.Name, Schedule.Parse(s), config.Dependencies.RunFirst(s.Name)))];

    public Task Start(CancellationToken ct)
    {
        var scheduler = new SyncScheduler(
            _ => Task.FromResult(syncs),
            RunAsync,
            Clock,
            _log,
            // The top of the jitter range: each pause is its ceiling.
            () => 1,
            (name, _) =>
            {
                lock (_runs)
                {
                    return Task.FromResult(Succeeded.Contains(name));
                }
            });
        return Task.Run(() => scheduler.RunAsync(ct), CancellationToken.None);
    }

    /// <summary>
    /// Until <paramref name="count"/> runs have started in all (a start, not an end: a failing run may still be
    /// failing; wait for the timer armed after it to know it has ended).
    /// </summary>
    public async Task WaitForRunsAsync(int count)
    {
        while (Runs.Count < count)
        {
            Assert.True(await _started.WaitAsync(Deadline), $"{Runs.Count} runs started, not {count}: {string.Join(", ", Runs.Select(r => r.Sync))}; log: {string.Join(" | ", Log)}");
        }
    }

    private async Task<RunResult> RunAsync(string name, ISyncObserver observer, CancellationToken ct)
    {
        int attempt;
        lock (_runs)
        {
            attempt = _runs.Count;
            _runs.Add((name, Clock.GetUtcNow()));
        }

        // Counted as started now: a run that goes on until stopped must not keep a waiter waiting.
        _started.Release();
        if (behaviour(name, attempt) is { Progressed: true })
        {
            observer.OnProgress(name, new RunProgress(1, 1, 0, null, TimeSpan.Zero));
            throw SluiceException.Transient("the connection dropped after a batch");
        }

        if (!endsRuns)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        }

        lock (_runs)
        {
            Succeeded.Add(name);
        }

        return new RunResult(attempt, 0, 0, 0, 0, TimeSpan.Zero, null);
    }

    public sealed record Failure(bool Progressed);
}
