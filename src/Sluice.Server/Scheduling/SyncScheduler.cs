using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Server.Hosting;

namespace Sluice.Server.Scheduling;

/// <summary>
/// Starts each scheduled sync every interval, counted from the end of its previous run. A sync that
/// another process is already running is skipped this time round; scale-out is running more processes.
/// </summary>
public sealed class SyncScheduler(SluiceWorkspace workspace, Action<string> log)
{
    public async Task RunAsync(CancellationToken ct)
    {
        var loops = workspace.Config.Syncs
            .Select(sync => (sync.Name, Schedule: Schedule.Parse(sync)))
            .Where(s => !s.Schedule.IsManual)
            .Select(s => LoopAsync(s.Name, s.Schedule.Interval!.Value, ct))
            .ToList();
        if (loops.Count == 0)
        {
            log("no sync has a schedule; run one with `sluice sync NAME`, or add 'schedule: every 5m' to it");
        }

        await Task.WhenAll(loops);
    }

    private async Task LoopAsync(string name, TimeSpan interval, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var result = await workspace.RunAsync(name, RunKind.Incremental, observer: null, ct);
                if (result.Read > 0)
                {
                    log($"{name}: run {result.RunId}: {result.Read:N0} read, {result.Acknowledged:N0} acknowledged, {result.Rejected:N0} rejected in {result.Elapsed.TotalSeconds:0.0} s");
                }
            }
            catch (SyncAlreadyRunningException)
            {
                // Another process has it this time.
            }
            catch (SluiceException e)
            {
                log($"{name}: run failed: {e.Message}");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(interval, workspace.Time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
