using Microsoft.Extensions.Logging;
using Sluice.Core.Errors;

namespace Sluice.Server.Alerts;

/// <summary>
/// Evaluates each alert of the config on its schedule (every interval, counted from the end of the previous
/// evaluation, or at each time its cron names), on the injected clock, next to the sync scheduler in <c>sluice run</c>.
/// A failed evaluation is logged with the alert's name and tried again at the next time; it never stops the loop.
/// </summary>
internal sealed class AlertScheduler(IReadOnlyList<AlertOptions> alerts, Func<AlertOptions, CancellationToken, Task<AlertEvaluation>> evaluate, TimeProvider time, ILogger log)
{
    /// <summary>The longest single timer; a cron time further away is waited for in steps.</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(7);

    public Task RunAsync(CancellationToken ct) => Task.WhenAll(alerts.Select(a => LoopAsync(a, ct)));

    private async Task LoopAsync(AlertOptions alert, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            if (alert.Schedule.Cron is { } cron)
            {
                if (cron.NextAfter(time.GetUtcNow()) is not { } next || !await PauseUntilAsync(next, ct))
                {
                    return;
                }
            }

            await EvaluateOnceAsync(alert, ct);
            if (alert.Schedule.Interval is { } interval && !await PauseAsync(interval, ct))
            {
                return;
            }
        }
    }

    private async Task EvaluateOnceAsync(AlertOptions alert, CancellationToken ct)
    {
        try
        {
            var evaluation = await evaluate(alert, ct);
            if (evaluation.Step.Crossed is { } crossed)
            {
                log.LogWarning("alert {Alert}: {Crossed} at {Value} ({Direction} {Threshold}, clear at {ClearAt}){Sent}", alert.Name, crossed, evaluation.Value,
                    alert.Direction.ToString().ToLowerInvariant(), alert.Threshold, alert.ClearAt, evaluation.Sent is null ? "" : $"; '{alert.Event}' sent to {alert.Destination.Name}");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping
        }
        catch (SluiceException e)
        {
            log.LogError("alert {Alert}: {Problem}", alert.Name, e.Message);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or IOException)
        {
            log.LogError("alert {Alert}: the state store could not be reached ({Problem}); evaluated again at the next time", alert.Name, e.Message);
        }
    }

    private async Task<bool> PauseUntilAsync(DateTimeOffset at, CancellationToken ct)
    {
        for (var left = at - time.GetUtcNow(); left > TimeSpan.Zero; left = at - time.GetUtcNow())
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
            await Task.Delay(wait, time, ct);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
