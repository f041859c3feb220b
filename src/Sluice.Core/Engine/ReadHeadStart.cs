using Sluice.Core.Connectors;
using Sluice.Core.Records;

namespace Sluice.Core.Engine;

/// <summary>
/// A source's read begun as soon as the run holds its lease (<see cref="ISource.ReadsEarly"/>), before the engine has
/// recorded the run and offered its waiting records: the source's system computes its first rows (a model's aggregate
/// over every secondary row) while the engine prepares. The read stage takes it over (<see cref="Take"/>); a run that
/// ends before reading it stops it (<see cref="DisposeAsync"/>).
/// </summary>
/// <remarks>
/// Only a read from no position (a first or full run) of a source that reads and ends, diffed without a change signal,
/// in a sync without write-back (whose preparation may write into the source before the read): the read is the one the
/// read stage would begin, only sooner. Nothing is sent or committed earlier — the first batch still waits for the
/// preparation — and the lease is held, so no other run commits between this read's snapshot and this run's commits.
/// </remarks>
internal sealed class ReadHeadStart : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly IAsyncEnumerator<Change> _changes;
    private readonly Task<bool> _first;
    private CancellationTokenRegistration _stopWithRun;
    private int _taken;

    private ReadHeadStart(ISource source, ReadRequest request, CancellationToken ct)
    {
        Request = request;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _changes = source.ReadAsync(request, _stop.Token).GetAsyncEnumerator(_stop.Token);
        // Runs the source's read up to its first record (or its end) now, on the pool: the caller goes on preparing.
        _first = Task.Run(() => _changes.MoveNextAsync().AsTask(), CancellationToken.None);
    }

    /// <summary>The request the read was begun with: the read stage reads with this one.</summary>
    public ReadRequest Request { get; }

    /// <summary>Begins <paramref name="sync"/>'s read of <paramref name="request"/> when it may begin early; <c>null</c> otherwise.</summary>
    public static ReadHeadStart? TryBegin(SyncDefinition sync, ReadRequest request, CancellationToken ct)
    {
        var source = sync.Source;
        if (!source.ReadsEarly || request.From is not null || source.Streams || source.Diff is { OpenSignalRead: not null } || sync.WriteBack is not null)
        {
            return null;
        }

        return new ReadHeadStart(source, request, ct);
    }

    /// <summary>
    /// The begun read: its first move is the one already running, and it is read once. <paramref name="ct"/> (the run's
    /// stop) stops it too, as it would have stopped a read begun by the read stage.
    /// </summary>
    public IAsyncEnumerable<Change> Take(CancellationToken ct)
    {
        _stopWithRun = ct.Register(static s => ((CancellationTokenSource)s!).Cancel(), _stop);
        return new Begun(this);
    }

    /// <summary>Stops the read when the read stage never read it (the run failed or was stopped while preparing).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopWithRun.DisposeAsync();
        if (Interlocked.Exchange(ref _taken, 1) == 0)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    /// <summary>Stops the read before its first move was taken: that move is still running, and an iterator is disposed only at rest.</summary>
    private async Task StopAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _first;
        }
        catch (Exception)
        {
            // The run is already ending for its own reason; the read's (a cancellation, mostly) adds nothing.
        }

        await _changes.DisposeAsync();
    }

    /// <summary>The read handed to the read stage: the first move is the begun one, the others the source's own.</summary>
    private sealed class Begun(ReadHeadStart start) : IAsyncEnumerable<Change>, IAsyncEnumerator<Change>
    {
        private bool _moved;

        public Change Current => start._changes.Current;

        public IAsyncEnumerator<Change> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            Interlocked.Exchange(ref start._taken, 1) == 0 ? this : throw new InvalidOperationException("the read begun early is read once");

        public ValueTask<bool> MoveNextAsync()
        {
            if (_moved)
            {
                return start._changes.MoveNextAsync();
            }

            _moved = true;
            return new ValueTask<bool>(start._first);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_moved)
            {
                await start.StopAsync();
                return;
            }

            await start._changes.DisposeAsync();
        }
    }
}
