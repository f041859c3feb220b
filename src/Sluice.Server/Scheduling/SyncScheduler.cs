using Microsoft.Extensions.Logging;
using Sluice.Core.Engine;
using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Server.Hosting;

namespace Sluice.Server.Scheduling;

/// <summary>
/// Starts each scheduled sync every interval, counted from the end of its previous run, and keeps each continuous
/// sync (a streaming source: CDC, the ingest queue) running, restarting it after any failure — a bug included —
/// with a growing, jittered pause (<see cref="RestartBackoff"/>) that starts over once a run makes progress. Every
/// failure is logged at once with the sync's name.
/// A sync that another process is already running is skipped (a continuous one is tried again shortly, so a
/// standby process takes over within seconds when the one running it dies); scale-out is running more processes.
/// </summary>
public sealed class SyncScheduler
{
    /// <summary>How often a standby process tries to take over a continuous sync another process runs.</summary>
    private static readonly TimeSpan TakeOverPoll = TimeSpan.FromSeconds(5);

    private readonly Func<CancellationToken, Task<IReadOnlyList<(string Name, Schedule Schedule)>>> _schedules;
    private readonly Func<string, ISyncObserver, CancellationToken, Task<RunResult>> _run;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Func<double> _random;

    public SyncScheduler(SluiceWorkspace workspace, ILogger log)
        : this(_ => SchedulesAsync(workspace), (name, observer, ct) => workspace.RunAsync(name, RunKind.Incremental, observer, ct), workspace.Time, log, Random.Shared.NextDouble)
    {
    }

    /// <param name="schedules">Every sync's name and schedule.</param>
    /// <param name="run">Runs one sync once, reporting to the observer.</param>
    /// <param name="time">The clock every pause waits on.</param>
    /// <param name="log">Where failures and results are told.</param>
    /// <param name="random">Jitter source in [0, 1).</param>
    internal SyncScheduler(
        Func<CancellationToken, Task<IReadOnlyList<(string Name, Schedule Schedule)>>> schedules,
        Func<string, ISyncObserver, CancellationToken, Task<RunResult>> run,
        TimeProvider time,
        ILogger log,
        Func<double> random)
    {
        _schedules = schedules;
        _run = run;
        _time = time;
        _log = log;
        _random = random;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var loops = new List<Task>();
        foreach (var (name, schedule) in await _schedules(ct))
        {
            if (schedule.IsContinuous)
            {
                loops.Add(ContinuousAsync(name, ct));
            }
            else if (!schedule.IsManual)
            {
                loops.Add(EveryAsync(name, schedule.Interval!.Value, ct));
            }
        }

        if (loops.Count == 0)
        {
            _log.LogWarning("no sync has a schedule; run one with `sluice sync NAME`, or add 'schedule: every 5m' to it");
        }

        await Task.WhenAll(loops);
    }

    private static async Task<IReadOnlyList<(string Name, Schedule Schedule)>> SchedulesAsync(SluiceWorkspace workspace)
    {
        var schedules = new List<(string, Schedule)>();
        foreach (var sync in workspace.Config.Syncs)
        {
            schedules.Add((sync.Name, await workspace.ScheduleOfAsync(sync)));
        }

        return schedules;
    }

    private async Task EveryAsync(string name, TimeSpan interval, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var run = await RunOnceAsync(name, ct);
            if (run.Error is { } error)
            {
                _log.LogError("{Sync}: run failed: {Error}; the next run is in {Next}, as scheduled", name, error, Describe(interval));
            }

            if (run.Outcome == Outcome.Stopped || !await PauseAsync(interval, ct))
            {
                return;
            }
        }
    }

    private async Task ContinuousAsync(string name, CancellationToken ct)
    {
        var backoff = new RestartBackoff(_random);
        while (!ct.IsCancellationRequested)
        {
            var run = await RunOnceAsync(name, ct);
            if (run.Outcome == Outcome.Stopped)
            {
                return;
            }

            // A streaming run ends only by failing (or, for a polling fallback, after each poll). One that got
            // batches through before failing was healthy until then: its restart starts over from the first pause.
            if (run.Outcome != Outcome.Failed || run.Progressed)
            {
                backoff.Reset();
            }

            var wait = TakeOverPoll;
            if (run.Error is { } error)
            {
                wait = backoff.Next();
                _log.LogError("{Sync}: run failed: {Error}; restarting in {Next}", name, error, Describe(wait));
            }

            if (!await PauseAsync(wait, ct))
            {
                return;
            }
        }
    }

    /// <summary>One run; never throws but for the scheduler's own stop, so that no failure ends a sync's loop.</summary>
    private async Task<RunEnd> RunOnceAsync(string name, CancellationToken ct)
    {
        var observer = new RunObserver(_log);
        try
        {
            var result = await _run(name, observer, ct);
            if (result.Read > 0)
            {
                _log.LogInformation("{Sync}: run {RunId}: {Read:N0} read, {Acknowledged:N0} acknowledged, {Rejected:N0} rejected in {Seconds:0.0} s",
                    name, result.RunId, result.Read, result.Acknowledged, result.Rejected, result.Elapsed.TotalSeconds);
            }

            return new RunEnd(Outcome.Finished, null, observer.Progressed);
        }
        catch (SyncAlreadyRunningException)
        {
            return new RunEnd(Outcome.HeldElsewhere, null, false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new RunEnd(Outcome.Stopped, null, observer.Progressed);
        }
        catch (SluiceException e)
        {
            return new RunEnd(Outcome.Failed, e.Message, observer.Progressed);
        }
        catch (Exception e)
        {
            // A bug: the type and message say where to look; a stack trace is for a debugger, not the log.
            return new RunEnd(Outcome.Failed, $"internal error: {e.GetType().Name}: {e.Message}", observer.Progressed);
        }
    }

    private async Task<bool> PauseAsync(TimeSpan wait, CancellationToken ct)
    {
        try
        {
            await Task.Delay(wait, _time, ct);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static string Describe(TimeSpan wait) =>
        wait < TimeSpan.FromMinutes(1) ? $"{wait.TotalSeconds:0.#} s" : $"{wait.TotalMinutes:0.#} min";

    /// <summary>Tells the server's log what a source says about how it reads (once per run), and notes whether a batch committed.</summary>
    private sealed class RunObserver(ILogger log) : ISyncObserver
    {
        private volatile bool _progressed;

        public bool Progressed => _progressed;

        public void OnNotice(string syncName, string notice) => log.LogWarning("{Notice}", notice);

        public void OnProgress(string syncName, RunProgress progress) => _progressed = true;
    }

    private readonly record struct RunEnd(Outcome Outcome, string? Error, bool Progressed);

    private enum Outcome
    {
        Finished,
        HeldElsewhere,
        Failed,
        Stopped,
    }
}
