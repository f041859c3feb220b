namespace Sluice.Core.Engine;

/// <summary>
/// Every send to one destination passes here: it waits out a server-requested pause and takes permits from
/// the destination's request and event budgets. The budgets and the pause live in an
/// <see cref="IRateBudgetStore"/>, so every sync, lane and process sending to the destination shares them:
/// a <c>429</c> slows them all, not just the request that got it.
/// </summary>
/// <remarks>
/// A gate does not go to the store for every request. It takes a chunk of <see cref="RateBudgetAsk.Burst"/>'s
/// worth of its lane's rate at once (at least the batch's events), waits until the store says the chunk is
/// ready, and spends it locally; what is left <see cref="ChunkLifetime"/> after that is dropped, never carried
/// over, so a stale chunk cannot add to a later burst. At full speed that is about four store calls a second
/// per lane and process. A shared pause set by another process is seen with the next chunk, so within
/// <see cref="ChunkLifetime"/>; after a pause a chunk is taken afresh.
/// </remarks>
public sealed class DeliveryGate : IAsyncDisposable
{
    /// <summary>How long a chunk of permits taken from the store may be spent.</summary>
    public static readonly TimeSpan ChunkLifetime = TimeSpan.FromMilliseconds(500);

    private readonly RateLimitOptions _options;
    private readonly TimeProvider _time;
    private readonly IRateBudgetStore _store;
    private readonly string _destination;
    private readonly Chunk _live = new();
    private readonly Chunk _backfill = new();
    private readonly Lock _publishLock = new();
    private readonly CancellationTokenSource _disposed = new();
    private Task _publishing = Task.CompletedTask;
    private long _pausedUntilTicks;

    /// <summary>A gate whose budget lives in this process only.</summary>
    public DeliveryGate(RateLimitOptions options, TimeProvider time)
        : this(options, time, new InMemoryRateBudgetStore(), "")
    {
    }

    /// <param name="options">The destination's budget.</param>
    /// <param name="time">The clock every wait uses.</param>
    /// <param name="store">Where the budget lives; the state store's, to share it between processes.</param>
    /// <param name="destination">The destination connection's name: the budget's key in the store.</param>
    public DeliveryGate(RateLimitOptions options, TimeProvider time, IRateBudgetStore store, string destination)
    {
        if (options.BackfillShare is not (> 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BackfillShare, "the backfill share is a fraction in (0, 1]");
        }

        _options = options;
        _time = time;
        _store = store;
        _destination = destination;
    }

    /// <summary>When the destination asked us to pause until; <see cref="DateTimeOffset.MinValue"/> if it did not.</summary>
    public DateTimeOffset PausedUntil => new(Interlocked.Read(ref _pausedUntilTicks), TimeSpan.Zero);

    /// <summary>
    /// Holds every sender until <paramref name="until"/> (a later pause wins over an earlier one): here at once,
    /// and, through the store, every other gate on the destination with its next chunk.
    /// </summary>
    public void PauseUntil(DateTimeOffset until)
    {
        if (!Extend(until) || !_options.IsLimited)
        {
            // An unlimited gate never asks the store for permits, so none would read the pause there.
            return;
        }

        lock (_publishLock)
        {
            _publishing = PublishAsync(_publishing, until);
        }
    }

    /// <summary>Waits until one live request carrying <paramref name="events"/> events may be sent.</summary>
    public ValueTask WaitAsync(int events, CancellationToken ct) => WaitAsync(events, DeliveryLane.Live, ct);

    /// <summary>Waits until one request carrying <paramref name="events"/> events may be sent on <paramref name="lane"/>.</summary>
    public ValueTask WaitAsync(int events, DeliveryLane lane, CancellationToken ct) => WaitAsync(1, events, lane, ct);

    /// <summary>
    /// Waits until <paramref name="requests"/> requests carrying <paramref name="events"/> events may be sent on
    /// <paramref name="lane"/>: 0 requests for a batch whose destination takes each of its requests here itself
    /// (<see cref="Sluice.Core.Connectors.ICountsOwnRequests"/>), 0 events for one of those requests.
    /// </summary>
    public async ValueTask WaitAsync(int requests, int events, DeliveryLane lane, CancellationToken ct)
    {
        await WaitOutPauseAsync(ct);
        if (!_options.IsLimited)
        {
            return;
        }

        var chunk = lane == DeliveryLane.Backfill ? _backfill : _live;
        await chunk.Lock.WaitAsync(ct);
        try
        {
            while (true)
            {
                var now = _time.GetUtcNow();
                if (now < chunk.Expires && chunk.Requests >= requests && chunk.Events >= events)
                {
                    chunk.Requests -= requests;
                    chunk.Events -= events;
                    return;
                }

                var share = lane == DeliveryLane.Backfill ? _options.BackfillShare : 1;
                var requestCount = ChunkOf(_options.RequestsPerSecond * share, requests);
                var eventCount = ChunkOf(_options.EventsPerSecond * share, events);
                var grant = await _store.TakeAsync(new RateBudgetAsk(_destination, lane, now, requestCount, eventCount, _options), ct);
                Extend(grant.PausedUntil);
                chunk.Expires = DateTimeOffset.MinValue;
                if (grant.ReadyAt > now)
                {
                    await Task.Delay(grant.ReadyAt - now, _time, ct);
                }

                if (grant.Granted)
                {
                    // A pause that began while we waited for the reservation outlives the chunk's use: wait it out first.
                    await WaitOutPauseAsync(ct);
                    chunk.Requests = (_options.RequestsPerSecond is > 0 ? requestCount : long.MaxValue) - requests;
                    chunk.Events = (_options.EventsPerSecond is > 0 ? eventCount : long.MaxValue) - events;
                    chunk.Expires = grant.ReadyAt + ChunkLifetime;
                    return;
                }

                await WaitOutPauseAsync(ct);
            }
        }
        finally
        {
            chunk.Lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        Task publishing;
        lock (_publishLock)
        {
            publishing = _publishing;
        }

        // Give a pending pause a moment to reach the store; it is advice to other processes, not state we owe.
        await publishing.WaitAsync(TimeSpan.FromSeconds(5), TimeProvider.System).ContinueWith(_ => { }, TaskScheduler.Default);
        await _disposed.CancelAsync();
        _disposed.Dispose();
        _live.Lock.Dispose();
        _backfill.Lock.Dispose();
    }

    /// <summary><see cref="RateBudgetAsk.Burst"/>'s worth of <paramref name="rate"/>, and at least <paramref name="atLeast"/>.</summary>
    private static long ChunkOf(double? rate, long atLeast) =>
        rate is { } r && r > 0 ? Math.Max(atLeast, (long)Math.Ceiling(r * RateBudgetAsk.Burst.TotalSeconds)) : atLeast;

    private async ValueTask WaitOutPauseAsync(CancellationToken ct)
    {
        while (true)
        {
            var wait = PausedUntil - _time.GetUtcNow();
            if (wait <= TimeSpan.Zero)
            {
                ct.ThrowIfCancellationRequested();
                return;
            }

            await Task.Delay(wait, _time, ct);
        }
    }

    /// <summary>Moves the pause later, never earlier; true if it moved.</summary>
    private bool Extend(DateTimeOffset until)
    {
        var ticks = until.UtcTicks;
        long current;
        do
        {
            current = Interlocked.Read(ref _pausedUntilTicks);
            if (ticks <= current)
            {
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref _pausedUntilTicks, ticks, current) != current);
        return true;
    }

    private async Task PublishAsync(Task previous, DateTimeOffset until)
    {
        await previous;
        try
        {
            await _store.PauseAsync(_destination, until, _time.GetUtcNow(), _disposed.Token);
        }
        catch (Exception e) when (e is Errors.SluiceException or OperationCanceledException or ObjectDisposedException)
        {
            // The pause holds here regardless; another process that misses it gets its own 429 and pauses then.
            // (Disposed: the gate's host is shutting down.)
        }
    }

    /// <summary>Permits taken from the store and not yet spent, for one lane of this process.</summary>
    private sealed class Chunk
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);

        public long Requests { get; set; }

        public long Events { get; set; }

        public DateTimeOffset Expires { get; set; } = DateTimeOffset.MinValue;
    }
}
