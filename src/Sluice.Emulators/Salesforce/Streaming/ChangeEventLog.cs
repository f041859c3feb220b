using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Salesforce.Streaming;

/// <summary>
/// The org's change events, retained for replay: replay ids increase by one per event in commit order; events older
/// than the retention or beyond the count limit are dropped (oldest first), so memory stays bounded. Subscribers read
/// after a cursor (a replay id) and wait on <see cref="Changed"/> for the next commit. Thread-safe.
/// </summary>
internal sealed class ChangeEventLog
{
    private readonly Lock _lock = new();
    private readonly LinkedList<ChangeEvent> _events = new();
    private readonly TimeProvider _time;
    private SalesforceStreamingOptions _options;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _latest;
    private long _commits;

    public ChangeEventLog(SalesforceStreamingOptions options, TimeProvider time)
    {
        options.Validate();
        _options = options;
        _time = time;
    }

    public SalesforceStreamingOptions Options
    {
        get => Volatile.Read(ref _options);
        set
        {
            value.Validate();
            Volatile.Write(ref _options, value);
            lock (_lock)
            {
                Trim();
            }
        }
    }

    /// <summary>Completes at the next publish (take it before reading, so no event slips between).</summary>
    public Task Changed
    {
        get
        {
            lock (_lock)
            {
                return _changed.Task;
            }
        }
    }

    /// <summary>The replay id of the newest event ever published (0 before the first).</summary>
    public long Latest
    {
        get
        {
            lock (_lock)
            {
                return _latest;
            }
        }
    }

    /// <summary>Publishes the events of one commit (called under the org's lock, in commit order).</summary>
    public void Publish(OrgCommit commit)
    {
        var options = Options;
        lock (_lock)
        {
            var commitNumber = ++_commits;
            foreach (var (entity, header, body) in ChangeEventFactory.Build(commit, options, commitNumber))
            {
                var replayId = ++_latest;
                _events.AddLast(new ChangeEvent(replayId, entity, commit.CommitTime, ChangeEventFactory.Data(entity, header, body, replayId)));
            }

            Trim();
            Signal();
        }
    }

    /// <summary>
    /// Where a subscription starts: <c>-1</c> after the newest event, <c>-2</c> before the oldest retained, a replay id
    /// right after it — when it is still retained (or is the newest). Null when the replay id is invalid (expired or unknown).
    /// </summary>
    public long? Start(long replayFrom)
    {
        lock (_lock)
        {
            Trim();
            var oldest = _events.First?.Value.ReplayId ?? _latest + 1;
            return replayFrom switch
            {
                -1 => _latest,
                -2 => oldest - 1,
                _ when replayFrom >= oldest - 1 && replayFrom <= _latest => replayFrom,
                _ => null,
            };
        }
    }

    /// <summary>Up to <paramref name="max"/> events after <paramref name="cursor"/> that <paramref name="matches"/>, oldest first.</summary>
    public List<ChangeEvent> After(long cursor, Func<string, bool> matches, int max)
    {
        var found = new List<ChangeEvent>();
        lock (_lock)
        {
            Trim();
            for (var node = _events.Last; node is not null && node.Value.ReplayId > cursor; node = node.Previous)
            {
                if (node.Previous is null || node.Previous.Value.ReplayId <= cursor)
                {
                    for (var next = node; next is not null && found.Count < max; next = next.Next)
                    {
                        if (matches(next.Value.EntityName))
                        {
                            found.Add(next.Value);
                        }
                    }

                    break;
                }
            }
        }

        return found;
    }

    /// <summary>Drops every retained event, as if the retention had passed: replay ids before now become invalid.</summary>
    public int Expire()
    {
        lock (_lock)
        {
            var count = _events.Count;
            _events.Clear();
            return count;
        }
    }

    /// <summary>(retained events, oldest retained replay id or null).</summary>
    public (int Retained, long? Oldest) Snapshot()
    {
        lock (_lock)
        {
            Trim();
            return (_events.Count, _events.First?.Value.ReplayId);
        }
    }

    private void Trim()
    {
        var options = Options;
        var horizon = _time.GetUtcNow() - options.Retention;
        while (_events.First is { } first && (_events.Count > options.MaxRetainedEvents || first.Value.CommitTime < horizon))
        {
            _events.RemoveFirst();
        }
    }

    private void Signal()
    {
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }
}
