using Microsoft.Extensions.Logging;
using Sluice.Core.Errors;
using Sluice.Server.Hosting;

namespace Sluice.Server.Retention;

/// <summary>
/// Under <c>sluice run</c>: applies <c>state.retention:</c> a minute after start and then every hour (docs/retention.md).
/// Each pass deletes in short chunks; several processes pruning at once share the rows (SKIP LOCKED). A failed pass is
/// logged and retried at the next.
/// </summary>
internal static class StateRetentionLoop
{
    /// <summary>Between passes: history ages in days, so an hour keeps every table within an hour of its retention.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    private static readonly TimeSpan FirstPass = TimeSpan.FromMinutes(1);

    public static async Task RunAsync(SluiceWorkspace workspace, ILogger log, CancellationToken ct)
    {
        if (workspace.Config.StateConnection is null)
        {
            return;
        }

        // Not at once: start-up (migrations, the first runs) comes first.
        await Task.Delay(FirstPass, workspace.Time, ct);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var store = await workspace.StateAsync(ct);
                var pruned = await store.Retention(workspace.Config.State.Retention, workspace.Time).PruneAsync(ct);
                if (!pruned.IsEmpty)
                {
                    log.LogInformation("state retention: deleted {Pruned}", pruned.ToString());
                }
            }
            catch (SluiceException e)
            {
                log.LogWarning("state retention failed, will retry in {Interval}: {Error}", Interval, e.Message);
            }

            await Task.Delay(Interval, workspace.Time, ct);
        }
    }
}
