using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Server.Hosting;

namespace Sluice.Server.Scheduling;

/// <summary>
/// Starts each scheduled sync every interval, counted from the end of its previous run, and keeps each continuous
/// sync (a streaming source: CDC, the ingest queue) running, restarting it after a failure with a growing pause.
/// A sync that another process is already running is skipped (a continuous one is tried again shortly, so a
/// standby process takes over within seconds when the one running it dies); scale-out is running more processes.
/// </summary>
public sealed class SyncScheduler(SluiceWorkspace workspace, Action<string> log)
{
    /// <summary>How often a standby process tries to take over a continuous sync another process runs.</summary>
    private static readonly TimeSpan TakeOverPoll = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan FirstRestartPause = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan LongestRestartPause = TimeSpan.FromMinutes(1);

    public async Task RunAsync(CancellationToken ct)
    {
        var loops = new List<Task>();
        foreach (var sync in workspace.Config.Syncs)
        {
            var schedule = await workspace.ScheduleOfAsync(sync);
            if (schedule.IsContinuous)
            {
                loops.Add(ContinuousAsync(sync.Name, ct));
            }
            else if (!schedule.IsManual)
            {
                loops.Add(EveryAsync(sync.Name, schedule.Interval!.Value, ct));
            }
        }

        if (loops.Count == 0)
        {
            log("no sync has a schedule; run one with `sluice sync NAME`, or add 'schedule: every 5m' to it");
        }

        await Task.WhenAll(loops);
    }

    private async Task EveryAsync(string name, TimeSpan interval, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            if (await RunOnceAsync(name, ct) == Outcome.Stopped || !await PauseAsync(interval, ct))
            {
                return;
            }
        }
    }

    private async Task ContinuousAsync(string name, CancellationToken ct)
    {
        var pause = FirstRestartPause;
        while (!ct.IsCancellationRequested)
        {
            var outcome = await RunOnceAsync(name, ct);
            var wait = outcome switch
            {
                Outcome.Stopped => (TimeSpan?)null,
                Outcome.HeldElsewhere => TakeOverPoll,
                // A streaming run ends only by failing (or, for a polling fallback, after each poll).
                Outcome.Failed => pause,
                _ => TakeOverPoll,
            };
            pause = outcome == Outcome.Failed ? TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestRestartPause.Ticks)) : FirstRestartPause;
            if (wait is null || !await PauseAsync(wait.Value, ct))
            {
                return;
            }
        }
    }

    private async Task<Outcome> RunOnceAsync(string name, CancellationToken ct)
    {
        try
        {
            var result = await workspace.RunAsync(name, RunKind.Incremental, new NoticeLog(log), ct);
            if (result.Read > 0)
            {
                log($"{name}: run {result.RunId}: {result.Read:N0} read, {result.Acknowledged:N0} acknowledged, {result.Rejected:N0} rejected in {result.Elapsed.TotalSeconds:0.0} s");
            }

            return Outcome.Finished;
        }
        catch (SyncAlreadyRunningException)
        {
            return Outcome.HeldElsewhere;
        }
        catch (SluiceException e)
        {
            log($"{name}: run failed: {e.Message}");
            return Outcome.Failed;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Outcome.Stopped;
        }
    }

    private async Task<bool> PauseAsync(TimeSpan wait, CancellationToken ct)
    {
        try
        {
            await Task.Delay(wait, workspace.Time, ct);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Tells the server's log what a source says about how it reads (once per run).</summary>
    private sealed class NoticeLog(Action<string> log) : Core.Engine.ISyncObserver
    {
        public void OnNotice(string syncName, string notice) => log(notice);
    }

    private enum Outcome
    {
        Finished,
        HeldElsewhere,
        Failed,
        Stopped,
    }
}
