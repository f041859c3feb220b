using System.Runtime.CompilerServices;
using Sluice.Segment.Protocol;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>
/// Everything the emulator has recorded since start or the last reset. Dedup is a lock-striped
/// <see cref="MessageIndex"/> keyed by <c>messageId</c>; the arrival order for listing is appended under one
/// short lock per request; counters are summed per request, not per event.
/// A reset swaps in a new store, so requests in flight finish against the old one.
/// </summary>
internal sealed class MessageStore(int retainMessages)
{
    private readonly MessageIndex _index = new();
    private readonly List<StoredMessage> _arrivals = [];
    private readonly Lock _arrivalsLock = new();
    private readonly long[] _byType = new long[SegmentEventTypes.Count];
    private int _firstRetained;
    private long _requests, _events, _unique, _duplicates, _dropped, _rejected, _distinctUserIds;
    private long _rateLimited, _serverErrors, _connectionsAborted, _slowResponses;

    public void CountRequest() => Interlocked.Increment(ref _requests);

    public void CountRejected() => Interlocked.Increment(ref _rejected);

    public void CountRateLimited() => Interlocked.Increment(ref _rateLimited);

    public void CountServerError() => Interlocked.Increment(ref _serverErrors);

    public void CountConnectionAborted() => Interlocked.Increment(ref _connectionsAborted);

    public void CountSlowResponse() => Interlocked.Increment(ref _slowResponses);

    /// <summary>Records an accepted request. Every event of it gets the same <c>receivedAt</c>, as in Segment.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Commit(ParsedPayload payload, long receivedAtTicks)
    {
        var events = payload.Events;
        var messages = new StoredMessage[events.Count];
        Span<int> byType = stackalloc int[SegmentEventTypes.Count];
        var fresh = 0;
        var newUsers = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var message = new StoredMessage(events[i], receivedAtTicks);
            if (_index.AddOrGetFirst(message) is { } first)
            {
                // Segment dedups on messageId alone (guides/duplicate-data.md); the first copy stays.
                first.CountDuplicate();
                continue;
            }

            byType[(int)message.Type]++;
            if (message.UserId is not null && _index.AddUserId(message.UserId))
            {
                newUsers++;
            }

            messages[fresh++] = message;
        }

        if (fresh > 0)
        {
            lock (_arrivalsLock)
            {
                for (var i = 0; i < fresh; i++)
                {
                    _arrivals.Add(messages[i]);
                }

                while (_arrivals.Count - _firstRetained > retainMessages)
                {
                    _arrivals[_firstRetained++].Evict();
                }
            }
        }

        for (var t = 0; t < byType.Length; t++)
        {
            if (byType[t] != 0)
            {
                Interlocked.Add(ref _byType[t], byType[t]);
            }
        }

        Interlocked.Add(ref _events, payload.Received);
        Interlocked.Add(ref _unique, fresh);
        Interlocked.Add(ref _duplicates, events.Count - fresh);
        Interlocked.Add(ref _dropped, payload.Dropped);
        Interlocked.Add(ref _distinctUserIds, newUsers);
    }

    /// <summary>Retained messages in arrival order, filtered, paged.</summary>
    public List<StoredMessage> Select(SegmentEventType? type, string? userId, int offset, int limit)
    {
        var selected = new List<StoredMessage>(Math.Min(limit, 1024));
        lock (_arrivalsLock)
        {
            for (var i = _firstRetained; i < _arrivals.Count && selected.Count < limit; i++)
            {
                var message = _arrivals[i];
                if ((type is null || message.Type == type) && (userId is null || message.UserId == userId) && offset-- <= 0)
                {
                    selected.Add(message);
                }
            }
        }

        return selected;
    }

    public SegmentEmulatorStats Snapshot()
    {
        var byType = new Dictionary<string, long>(SegmentEventTypes.Count);
        for (var t = 0; t < SegmentEventTypes.Count; t++)
        {
            byType[SegmentEventTypes.Name((SegmentEventType)t)] = Interlocked.Read(ref _byType[t]);
        }

        int retained;
        lock (_arrivalsLock)
        {
            retained = _arrivals.Count - _firstRetained;
        }

        var rateLimited = Interlocked.Read(ref _rateLimited);
        var serverErrors = Interlocked.Read(ref _serverErrors);
        var aborted = Interlocked.Read(ref _connectionsAborted);
        return new SegmentEmulatorStats
        {
            Requests = Interlocked.Read(ref _requests),
            Events = Interlocked.Read(ref _events),
            Unique = Interlocked.Read(ref _unique),
            Duplicates = Interlocked.Read(ref _duplicates),
            Dropped = Interlocked.Read(ref _dropped),
            RejectedRequests = Interlocked.Read(ref _rejected),
            Faults = rateLimited + serverErrors + aborted,
            RateLimited = rateLimited,
            ServerErrors = serverErrors,
            ConnectionsAborted = aborted,
            SlowResponses = Interlocked.Read(ref _slowResponses),
            ByType = byType,
            DistinctUserIds = Interlocked.Read(ref _distinctUserIds),
            RetainedMessages = retained,
        };
    }
}
