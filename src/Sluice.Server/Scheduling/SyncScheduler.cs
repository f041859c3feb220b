using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Server.Hosting;

namespace Sluice.Server.Scheduling;

/// <summary>
/// Starts each scheduled sync every interval, counted from the end of its previous run, or at each time its cron
/// expression names (in its time zone, on the injected clock), and keeps each continuous
/// sync (a streaming source: CDC, the ingest queue) running, restarting it after any failure — a bug included —
/// with a growing, jittered pause (<see cref="RestartBackoff"/>) that starts over once a run makes progress. Every
/// failure is logged at once with the sync's name.
/// A sync that another process is already running is skipped (a continuous one is tried again shortly, so a
/// standby process takes over within seconds when the one running it dies); scale-out is running more processes.
/// </summary>
/// <remarks>
/// A sync with <c>after: [parent, …]</c> runs its parents first on each of its own runs (each once, parents before
/// their children, whatever their own schedules), and runs only when every one of them succeeded; a failed parent holds
/// it back until its next scheduled time, logged with the reason. A parent another process is running holds it back
/// silently, as a sync another process runs is skipped: that process is running the chain. Parents never stream (the
/// workspace refuses that at startup): a streaming run never ends, so nothing could run after it. Within this process
/// a sync runs once at a time: a child's run of a parent waits for the parent's own scheduled run to end.
/// </remarks>
public sealed class SyncScheduler
{
    /// <summary>How often a standby process tries to take over a continuous sync another process runs.</summary>
    private static readonly TimeSpan TakeOverPoll = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest single timer (Task.Delay takes at most about 49 days): a cron time further away (<c>@yearly</c>) is
    /// waited for in steps, re-reading the clock between them.
    /// </summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(7);

    private readonly Func<CancellationToken, Task<IReadOnlyList<ScheduledSync>>> _syncs;
    private readonly Func<string, ISyncObserver, CancellationToken, Task<RunResult>> _run;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Func<double> _random;
    private readonly Func<string, CancellationToken, Task<bool>> _succeeded;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _oneRunAtATime = new(StringComparer.Ordinal);

    public SyncScheduler(SluiceWorkspace workspace, ILogger log)
        : this(_ => SyncsAsync(workspace), (name, observer, ct) => workspace.RunAsync(name, RunKind.Incremental, observer, ct), workspace.Time, log, Random.Shared.NextDouble,
            async (name, ct) => await (await workspace.StateAsync(ct)).HasSucceededAsync(name, ct))
    {
    }

    /// <param name="syncs">Every sync with its schedule and the syncs it runs after.</param>
    /// <param name="run">Runs one sync once, reporting to the observer.</param>
    /// <param name="time">The clock every pause waits on.</param>
    /// <param name="log">Where failures and results are told.</param>
    /// <param name="random">Jitter source in [0, 1).</param>
    /// <param name="succeeded">Whether a run of the sync has ever succeeded (the state store): a <c>schedule: once</c> sync that has is not started.</param>
    internal SyncScheduler(
        Func<CancellationToken, Task<IReadOnlyList<ScheduledSync>>> syncs,
        Func<string, ISyncObserver, CancellationToken, Task<RunResult>> run,
        TimeProvider time,
        ILogger log,
        Func<double> random,
        Func<string, CancellationToken, Task<bool>>? succeeded = null)
    {
        _succeeded = succeeded ?? ((_, _) => Task.FromResult(false));
        _syncs = syncs;
        _run = run;
        _time = time;
        _log = log;
        _random = random;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var loops = new List<Task>();
        foreach (var sync in await _syncs(ct))
        {
            if (sync.Schedule.IsContinuous)
            {
                loops.Add(ContinuousAsync(sync, ct));
            }
            else if (sync.Schedule.Interval is { } interval)
            {
                loops.Add(EveryAsync(sync, interval, ct));
            }
            else if (sync.Schedule.Cron is { } cron)
            {
                loops.Add(CronAsync(sync, cron, ct));
            }
            else if (sync.Schedule.IsOnce)
            {
                loops.Add(OnceAsync(sync, ct));
            }
        }

        if (loops.Count == 0)
        {
            _log.LogWarning("no sync has a schedule; run one with `sluice sync NAME`, or add 'schedule: every 5m' to it");
        }

        await Task.WhenAll(loops);
    }

    private static async Task<IReadOnlyList<ScheduledSync>> SyncsAsync(SluiceWorkspace workspace)
    {
        var syncs = new List<ScheduledSync>();
        foreach (var sync in workspace.Config.Syncs)
        {
            syncs.Add(new ScheduledSync(sync.Name, await workspace.ScheduleOfAsync(sync), workspace.Config.Dependencies.RunFirst(sync.Name)));
        }

        return syncs;
    }

    private async Task EveryAsync(ScheduledSync sync, TimeSpan interval, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var run = await RunWithParentsAsync(sync, ct);
            if (run.Problem is { } problem)
            {
                _log.LogError("{Sync}: {Problem}; the next run is in {Next}, as scheduled", sync.Name, problem, Describe(interval));
            }

            if (run.Outcome == Outcome.Stopped || !await PauseAsync(interval, ct))
            {
                return;
            }
        }
    }

    /// <summary>Waits for each time the expression names, then runs; a run that overlaps later times skips them.</summary>
    private async Task CronAsync(ScheduledSync sync, CronSchedule cron, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            if (cron.NextAfter(_time.GetUtcNow()) is not { } next)
            {
                _log.LogWarning("{Sync}: '{Cron}' names no time from now on; the sync will not run on its own", sync.Name, cron);
                return;
            }

            if (!await PauseUntilAsync(next, ct))
            {
                return;
            }

            var run = await RunWithParentsAsync(sync, ct);
            if (run.Outcome == Outcome.Stopped)
            {
                return;
            }

            if (run.Problem is { } problem)
            {
                var then = cron.NextAfter(_time.GetUtcNow()) is { } after
                    ? $"at {TimeZoneInfo.ConvertTime(after, cron.TimeZone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} {cron.TimeZone.Id}"
                    : "never";
                _log.LogError("{Sync}: {Problem}; the next run is {Next}, as scheduled", sync.Name, problem, then);
            }
        }
    }

    /// <summary>
    /// <c>schedule: once</c>: runs the sync unless a run of it has succeeded before (the state store says so, whichever
    /// process or command ran it), and again after a failure — with the growing pause of a continuous sync — until one
    /// succeeds; then never again. Another process running it is waited for, then asked again.
    /// </summary>
    private async Task OnceAsync(ScheduledSync sync, CancellationToken ct)
    {
        var backoff = new RestartBackoff(_random);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (await _succeeded(sync.Name, ct))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (SluiceException e)
            {
                var pause = backoff.Next();
                _log.LogError("{Sync}: cannot tell whether its one run happened: {Problem}; asking again in {Next}", sync.Name, e.Message, Describe(pause));
                if (!await PauseAsync(pause, ct))
                {
                    return;
                }

                continue;
            }

            var run = await RunWithParentsAsync(sync, ct);
            switch (run.Outcome)
            {
                case Outcome.Stopped:
                    return;
                case Outcome.Finished:
                    _log.LogInformation("{Sync}: its one run (schedule: once) succeeded; `sluice sync {Sync}` runs it again by hand", sync.Name, sync.Name);
                    return;
            }

            var wait = TakeOverPoll;
            if (run.Problem is { } problem)
            {
                wait = backoff.Next();
                _log.LogError("{Sync}: {Problem}; its one run (schedule: once) is tried again in {Next}", sync.Name, problem, Describe(wait));
            }

            if (!await PauseAsync(wait, ct))
            {
                return;
            }
        }
    }

    private async Task ContinuousAsync(ScheduledSync sync, CancellationToken ct)
    {
        var name = sync.Name;
        var backoff = new RestartBackoff(_random);
        while (!ct.IsCancellationRequested)
        {
            var run = await RunWithParentsAsync(sync, ct);
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
            if (run.Problem is { } problem)
            {
                wait = backoff.Next();
                _log.LogError("{Sync}: {Problem}; restarting in {Next}", name, problem, Describe(wait));
            }

            if (!await PauseAsync(wait, ct))
            {
                return;
            }
        }
    }

    /// <summary>
    /// The sync's parents (<see cref="ScheduledSync.RunFirst"/>) one after another, then the sync if each of them
    /// succeeded. A parent's failure is logged under the parent's name; the sync's end says which parent held it back.
    /// </summary>
    private async Task<RunEnd> RunWithParentsAsync(ScheduledSync sync, CancellationToken ct)
    {
        foreach (var parent in sync.RunFirst)
        {
            var end = await RunOnceAsync(parent, ct);
            switch (end.Outcome)
            {
                case Outcome.Stopped:
                    return end;
                case Outcome.HeldElsewhere:
                    return new RunEnd(Outcome.HeldElsewhere, null, false);
                case Outcome.Failed:
                    _log.LogError("{Sync}: {Problem} (run first for '{Child}', which is after it)", parent, end.Problem, sync.Name);
                    return new RunEnd(Outcome.Failed, $"not run: '{parent}', which it runs after, failed", false);
            }
        }

        return await RunOnceAsync(sync.Name, ct);
    }

    /// <summary>One run; never throws but for the scheduler's own stop, so that no failure ends a sync's loop.</summary>
    private async Task<RunEnd> RunOnceAsync(string name, CancellationToken ct)
    {
        var observer = new RunObserver(_log);
        var oneAtATime = _oneRunAtATime.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        try
        {
            await oneAtATime.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return new RunEnd(Outcome.Stopped, null, false);
        }

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
            return new RunEnd(Outcome.Failed, $"run failed: {e.Message}", observer.Progressed);
        }
        catch (Exception e)
        {
            // A bug: the type and message say where to look; a stack trace is for a debugger, not the log.
            return new RunEnd(Outcome.Failed, $"run failed: internal error: {e.GetType().Name}: {e.Message}", observer.Progressed);
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    /// <summary>Until the clock reads <paramref name="time"/>; false when stopped first.</summary>
    private async Task<bool> PauseUntilAsync(DateTimeOffset time, CancellationToken ct)
    {
        for (var left = time - _time.GetUtcNow(); left > TimeSpan.Zero; left = time - _time.GetUtcNow())
        {
            if (!await PauseAsync(left < LongestWait ? left : LongestWait, ct))
            {
                return false;
            }
        }

        return !ct.IsCancellationRequested;
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

    /// <param name="Problem">Why the run failed or did not happen, for the log (<c>run failed: …</c>); null otherwise.</param>
    private readonly record struct RunEnd(Outcome Outcome, string? Problem, bool Progressed);

    private enum Outcome
    {
        Finished,
        HeldElsewhere,
        Failed,
        Stopped,
    }
}
