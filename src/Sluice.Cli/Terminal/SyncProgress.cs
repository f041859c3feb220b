using System.Globalization;
using Sluice.Core.Engine;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Sluice.Cli.Terminal;

/// <summary>
/// Shows a running sync: a progress bar with rate and ETA on a terminal, a plain line every few
/// seconds otherwise (CI logs, pipes).
/// </summary>
internal sealed class SyncProgress : ISyncObserver
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(2);
    private readonly ProgressTask? _task;
    private readonly object _gate = new();
    private long? _estimate;
    private DateTime _lastLine = DateTime.MinValue;
    private int _warnings;

    private SyncProgress(ProgressTask? task) => _task = task;

    /// <summary>Runs <paramref name="work"/> with a progress display suited to where output goes.</summary>
    public static async Task<T> ShowAsync<T>(string title, Func<ISyncObserver, Task<T>> work)
    {
        if (!Output.Interactive)
        {
            return await work(new SyncProgress(null));
        }

        return await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RateColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(title), autoStart: true, maxValue: 1);
                task.IsIndeterminate = true;
                var result = await work(new SyncProgress(task));
                task.IsIndeterminate = false;
                task.MaxValue = Math.Max(1, task.Value);
                task.StopTask();
                return result;
            });
    }

    public void OnStarted(string syncName, long runId, long? estimate)
    {
        _estimate = estimate;
        if (_task is not null)
        {
            _task.IsIndeterminate = estimate is null;
            _task.MaxValue = Math.Max(1, estimate ?? 1);
        }
        else
        {
            Output.Log($"{syncName}: run {runId} started{(estimate is { } e ? $", about {e:N0} records to read" : "")}");
        }
    }

    public void OnProgress(string syncName, RunProgress progress)
    {
        if (_task is not null)
        {
            if (_estimate is { } estimate && progress.Acknowledged + progress.Rejected > estimate)
            {
                _task.MaxValue = progress.Acknowledged + progress.Rejected;
            }

            _task.Value = progress.Acknowledged + progress.Rejected;
            return;
        }

        lock (_gate)
        {
            if (DateTime.UtcNow - _lastLine < PlainInterval)
            {
                return;
            }

            _lastLine = DateTime.UtcNow;
        }

        var done = progress.Acknowledged + progress.Rejected;
        var rate = progress.Elapsed.TotalSeconds > 0 ? done / progress.Elapsed.TotalSeconds : 0;
        var of = progress.Estimate is { } total ? $" of ~{total:N0}" : "";
        var eta = progress.Estimate is { } t && rate > 0 && t > done ? $", ETA {TimeSpan.FromSeconds((t - done) / rate):hh\\:mm\\:ss}" : "";
        Output.Log($"{syncName}: {done:N0}{of} delivered ({progress.Acknowledged:N0} acknowledged, {progress.Rejected:N0} rejected), {rate:N0} records/s{eta}");
    }

    public void OnNotice(string syncName, string notice) => Output.Warn(notice);

    public void OnRetry(string syncName, string reason, TimeSpan delay, int attempt) =>
        Warn($"{syncName}: {reason}; retrying in {delay.TotalSeconds:0.#} s (attempt {attempt})");

    public void OnRejected(string syncName, string recordKey, string reason) =>
        Warn($"{syncName}: record {recordKey} sent to the dead-letter queue: {reason}");

    private void Warn(string message)
    {
        // A storm of warnings would bury the progress; the run summary counts them all.
        if (Interlocked.Increment(ref _warnings) <= 20)
        {
            Output.Warn(message);
        }
        else if (_warnings == 21)
        {
            Output.Warn("more warnings follow; see the run summary and `sluice` state tables");
        }
    }

    /// <summary>Records per second, as the bar's speed.</summary>
    private sealed class RateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.Speed is { } speed ? $"{speed.ToString("N0", CultureInfo.InvariantCulture)}/s" : "", new Style(Color.Grey));
    }
}
