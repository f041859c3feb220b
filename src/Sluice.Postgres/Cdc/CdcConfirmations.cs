using NpgsqlTypes;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// Decides how far the slot may be confirmed to PostgreSQL: the end of every transaction whose changes were all
/// handed to the engine and committed with the send ledger, never further; and, when nothing is outstanding, as far
/// as the server has streamed (WAL of other tables, heartbeats), so that an idle slot does not hold WAL.
/// </summary>
/// <remarks>
/// Thread-safe: the reading loop reports what it hands on, the engine's committer what it committed, a timer asks
/// for idle advances. The reading loop records a change (<see cref="Handing"/>) before handing it on, so a commit
/// message the driver reads later can never be confirmed before that change is committed: the idle check and the
/// read of the driver's received position happen under one lock.
/// </remarks>
internal sealed class CdcConfirmations
{
    private readonly Lock _gate = new();
    private readonly Queue<(CdcPosition Last, NpgsqlLogSequenceNumber End)> _finished = new();
    private CdcPosition? _handed;
    private CdcPosition? _committed;
    private bool _inTransaction;
    private NpgsqlLogSequenceNumber _confirmed;

    /// <param name="confirmed">The slot's confirmed position when streaming starts.</param>
    /// <param name="committed">The stored checkpoint, when there is one.</param>
    /// <param name="handed">The last position handed to the engine before streaming (the end of a copy), when there is one.</param>
    public CdcConfirmations(NpgsqlLogSequenceNumber confirmed, CdcPosition? committed, CdcPosition? handed = null)
    {
        _confirmed = confirmed;
        _committed = committed;
        _handed = handed;
    }

    /// <summary>The highest position confirmed so far.</summary>
    public NpgsqlLogSequenceNumber Confirmed
    {
        get
        {
            lock (_gate)
            {
                return _confirmed;
            }
        }
    }

    public void Begin()
    {
        lock (_gate)
        {
            _inTransaction = true;
        }
    }

    /// <summary>A change is about to be handed to the engine.</summary>
    public void Handing(CdcPosition position)
    {
        lock (_gate)
        {
            _handed = position;
        }
    }

    /// <summary>A transaction ended; <paramref name="last"/> is its last change handed on, null when it handed on none.</summary>
    public void End(CdcPosition? last, NpgsqlLogSequenceNumber end)
    {
        lock (_gate)
        {
            _inTransaction = false;
            if (last is not null)
            {
                _finished.Enqueue((last, end));
            }
        }
    }

    /// <summary>
    /// Everything up to <paramref name="checkpoint"/> is committed: returns the end of the last transaction entirely at or
    /// before it, when that moves the confirmed position; null otherwise.
    /// </summary>
    public NpgsqlLogSequenceNumber? Committed(CdcPosition checkpoint)
    {
        lock (_gate)
        {
            // Commits come in order; one replayed from before streaming started must not move the position back.
            if (_committed is null || checkpoint.IsAfter(_committed))
            {
                _committed = checkpoint;
            }

            return PopCommitted() is { } end ? Advance(end) : null;
        }
    }

    /// <summary>
    /// Confirms transactions that finished after their changes were committed; and when nothing handed on is waiting
    /// for its commit and no transaction is being read, what the server has streamed (<paramref name="received"/>, read
    /// under the lock). Null when that moves nothing.
    /// </summary>
    public NpgsqlLogSequenceNumber? Idle(Func<NpgsqlLogSequenceNumber> received)
    {
        lock (_gate)
        {
            var moved = PopCommitted() is { } end ? Advance(end) : null;
            var outstanding = _handed is not null && (_committed is null || _handed.IsAfter(_committed));
            if (outstanding || _inTransaction || _finished.Count > 0)
            {
                return moved;
            }

            return Advance(received()) ?? moved;
        }
    }

    /// <summary>The end of the last finished transaction entirely at or before the committed position.</summary>
    private NpgsqlLogSequenceNumber? PopCommitted()
    {
        NpgsqlLogSequenceNumber? end = null;
        while (_committed is not null && _finished.TryPeek(out var transaction) && !transaction.Last.IsAfter(_committed))
        {
            _finished.Dequeue();
            end = transaction.End;
        }

        return end;
    }

    private NpgsqlLogSequenceNumber? Advance(NpgsqlLogSequenceNumber lsn)
    {
        if (lsn <= _confirmed)
        {
            return null;
        }

        _confirmed = lsn;
        return lsn;
    }
}
