using Sluice.Core.Engine;

namespace Sluice.Testing.Doubles;

/// <summary>Keeps what a run reported; calls come from several threads.</summary>
public sealed class RecordingObserver : ISyncObserver
{
    private readonly List<(string Reason, TimeSpan Delay, int Attempt)> _retries = [];
    private readonly List<(string Key, string Reason)> _rejections = [];
    private readonly List<RunProgress> _progress = [];
    private readonly List<(long RunId, long? Estimate)> _starts = [];
    private readonly List<string> _notices = [];

    public IReadOnlyList<string> Notices
    {
        get
        {
            lock (_notices)
            {
                return [.. _notices];
            }
        }
    }

    public void OnNotice(string syncName, string notice)
    {
        lock (_notices)
        {
            _notices.Add(notice);
        }
    }

    public IReadOnlyList<RunProgress> Progress
    {
        get
        {
            lock (_progress)
            {
                return [.. _progress];
            }
        }
    }

    public IReadOnlyList<(long RunId, long? Estimate)> Starts
    {
        get
        {
            lock (_starts)
            {
                return [.. _starts];
            }
        }
    }

    public IReadOnlyList<(string Reason, TimeSpan Delay, int Attempt)> Retries
    {
        get
        {
            lock (_retries)
            {
                return [.. _retries];
            }
        }
    }

    public IReadOnlyList<(string Key, string Reason)> Rejections
    {
        get
        {
            lock (_rejections)
            {
                return [.. _rejections];
            }
        }
    }

    public void OnStarted(string syncName, long runId, long? estimate)
    {
        lock (_starts)
        {
            _starts.Add((runId, estimate));
        }
    }

    public void OnProgress(string syncName, RunProgress progress)
    {
        lock (_progress)
        {
            _progress.Add(progress);
        }
    }

    public void OnRetry(string syncName, string reason, TimeSpan delay, int attempt)
    {
        lock (_retries)
        {
            _retries.Add((reason, delay, attempt));
        }
    }

    public void OnRejected(string syncName, string recordKey, string reason)
    {
        lock (_rejections)
        {
            _rejections.Add((recordKey, reason));
        }
    }
}
