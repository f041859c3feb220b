using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Sluice.Core.Engine;
using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Server.Hosting;

namespace Sluice.Server.Dashboard.Internal;

/// <summary>
/// "Run now": starts a run of a sync in the background, as <c>sluice sync NAME</c> would, and remembers how the last
/// one it started ended. The run takes the sync's run lock like any other: a sync already running (scheduled, or
/// streaming under <c>sluice run</c>) is not started twice, and the page says so.
/// </summary>
internal sealed class RunNow(SluiceWorkspace workspace, ILogger log)
{
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _outcomes = new(StringComparer.Ordinal);

    /// <summary>Starts the run; false when one this page started is still going.</summary>
    public bool Start(string syncName, CancellationToken stopping)
    {
        var started = false;
        _running.AddOrUpdate(syncName,
            _ => { started = true; return RunAsync(syncName, stopping); },
            (_, existing) =>
            {
                if (!existing.IsCompleted)
                {
                    return existing;
                }

                started = true;
                return RunAsync(syncName, stopping);
            });
        return started;
    }

    /// <summary>How the last run started here ended, or that it is still going; null when none was.</summary>
    public string? Outcome(string syncName) =>
        _running.TryGetValue(syncName, out var task) && !task.IsCompleted ? "a run started from this page is still going" : _outcomes.GetValueOrDefault(syncName);

    private Task RunAsync(string syncName, CancellationToken stopping) => Task.Run(async () =>
    {
        try
        {
            var result = await workspace.RunAsync(syncName, RunKind.Incremental, null, stopping);
            _outcomes[syncName] = $"the run started from this page (run {result.RunId}) succeeded: {result.Read:N0} read, {result.Acknowledged:N0} acknowledged, {result.Rejected:N0} rejected";
        }
        catch (SyncAlreadyRunningException)
        {
            _outcomes[syncName] = "not started: the sync is already running (another run, or its streaming run under `sluice run`, holds its lock)";
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // the server is stopping
        }
        catch (SluiceException e)
        {
            _outcomes[syncName] = $"the run started from this page failed: {e.Message}";
            log.LogError("run of {Sync} started from the dashboard failed: {Error}", syncName, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Nothing awaits this task: an error no one handled would vanish, so it is logged and shown here.
            _outcomes[syncName] = $"the run started from this page failed: {e.Message}";
            log.LogError(e, "run of {Sync} started from the dashboard failed", syncName);
        }
    }, CancellationToken.None);
}
