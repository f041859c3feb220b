using Microsoft.Extensions.Logging;
using Sluice.Core.Errors;
using Sluice.Server.Metrics;

namespace Sluice.Server.Notifications;

/// <summary>
/// Every <see cref="NotifyOptions.Every"/>, reads every sync's health (the same reading as <c>/metrics</c> and
/// <c>sluice status</c>) and hands each sync to the <see cref="NotifyEvaluator"/>. A check that fails is logged and tried
/// again at the next one; it never stops the loop.
/// </summary>
internal sealed class NotifyScheduler(NotifyOptions options, HealthSnapshotCache health, NotifyEvaluator evaluator, TimeProvider time, ILogger log)
{
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await CheckOnceAsync(ct);
            try
            {
                await Task.Delay(options.Every, time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal async Task CheckOnceAsync(CancellationToken ct)
    {
        SyncHealthSnapshot? snapshot;
        try
        {
            await health.RefreshAsync(ct);
            snapshot = health.Current();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (SluiceException e)
        {
            log.LogError("notify: the syncs' health could not be read ({Problem}); checked again in {Every}", e.Message, options.Every);
            return;
        }

        foreach (var sync in snapshot?.Syncs ?? [])
        {
            try
            {
                if (await evaluator.EvaluateAsync(sync, snapshot!.At, ct) is { } sent)
                {
                    log.LogWarning("notify: sync {Sync} {Transition}: webhook told ({Reasons})", sent.Sync, sent.Transition.Replace('_', ' '),
                        sent.Reasons.Count == 0 ? "no reason left" : string.Join("; ", sent.Reasons.Select(r => r.Kind)));
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (SluiceException e)
            {
                log.LogError("notify: sync {Sync}: {Problem}", sync.Name, e.Message);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or IOException)
            {
                log.LogError("notify: sync {Sync}: the state store could not be reached ({Problem}); checked again in {Every}", sync.Name, e.Message, options.Every);
            }
        }
    }
}
