using System.Threading.Channels;
using Npgsql;
using Sluice.Core.Errors;
using Sluice.Postgres;
using Sluice.State;

namespace Sluice.State.Ingest;

/// <summary>
/// The durable ingest queue (<c>ingest_queue</c> in the state schema, migration 0007). Concurrent
/// <see cref="EnqueueAsync"/> calls share transactions: a few writer loops each take every request waiting (up to
/// a batch), write them with one binary COPY and one COMMIT, and only then complete the callers' tasks. A request
/// that fails fails with the whole transaction, so a caller that saw success knows its events are committed, and
/// one that saw an error may send them again (the event id makes a duplicate harmless downstream).
/// </summary>
/// <remarks>
/// When the connection breaks during COMMIT the outcome is unknown; the callers are told it failed and resend,
/// which may store an event twice under one id. Readers pass both on; destinations deduplicate by message id.
/// </remarks>
public sealed partial class IngestQueue : IIngestQueue, IAsyncDisposable
{
    private const string What = "ingest queue (state database)";

    private readonly NpgsqlDataSource _dataSource;
    private readonly StateSchema _schema;
    private readonly IngestQueueOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<Pending> _waiting;
    private readonly Task[] _writers;
    private readonly SemaphoreSlim _copying = new(1, 1);
    /// <summary>The COMMIT of the last transaction that started one; the next batch gathers requests until it ends.</summary>
    private volatile Task? _committing;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _retention;
    private readonly string _copy;
    private readonly string _channel;
    private long _transactions;
    private long _committed;
    private int _disposed;

    /// <param name="dataSource">The state database; the store must have been opened (migrated).</param>
    /// <param name="schema">The state schema's name.</param>
    public IngestQueue(NpgsqlDataSource dataSource, string schema, IngestQueueOptions? options = null, TimeProvider? time = null)
    {
        _dataSource = dataSource;
        _schema = new StateSchema(schema);
        _options = options ?? new IngestQueueOptions();
        _time = time ?? TimeProvider.System;
        _channel = IngestQueueChannel.For(schema);
        _copy = $"COPY {_schema.Name}.ingest_queue (source, event_id, kind, type, event, received_at, payload, trace_parent) FROM STDIN (FORMAT BINARY)";
        _waiting = Channel.CreateBounded<Pending>(new BoundedChannelOptions(Math.Max(1, _options.MaxWaitingRequests)) { SingleWriter = false });
        _writers = Enumerable.Range(0, Math.Max(1, _options.Writers)).Select(_ => Task.Run(WriteLoopAsync)).ToArray();
        _retention = _options.Retention.Count > 0 ? Task.Run(() => RetentionLoopAsync(_stop.Token)) : Task.CompletedTask;
    }

    /// <summary>Transactions committed so far (each holds the events of one or more requests).</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>Events committed so far.</summary>
    public long EventsCommitted => Interlocked.Read(ref _committed);

    /// <summary>Requests waiting for a writer (not counting the ones being written).</summary>
    public int WaitingRequests => _waiting.Reader.Count;

    public async Task EnqueueAsync(IReadOnlyList<IngestEvent> events, CancellationToken ct)
    {
        if (events.Count == 0)
        {
            return;
        }

        // Encoded here, on the request's thread: the writers, which every request waits on, only stream bytes.
        var pending = new Pending(IngestCopyRows.Encode(Validated(events)));
        if (!_waiting.Writer.TryWrite(pending))
        {
            try
            {
                await WaitForRoomAsync(pending, ct);
            }
            catch
            {
                // Never handed to a writer: nothing else holds the rows.
                pending.Rows.Dispose();
                throw;
            }
        }

        // The caller may stop waiting; the events are still committed with the others.
        await pending.Completion.Task.WaitAsync(ct);
    }

    private async Task WaitForRoomAsync(Pending pending, CancellationToken ct)
    {
        using var busy = new CancellationTokenSource(_options.BusyTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, busy.Token);
        try
        {
            await _waiting.Writer.WriteAsync(pending, linked.Token);
        }
        catch (OperationCanceledException) when (busy.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw SluiceException.Transient($"{What}: busy, {_waiting.Reader.Count:N0} requests are waiting for a commit; retry shortly");
        }
        catch (ChannelClosedException)
        {
            throw ShuttingDown();
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _waiting.Reader;
        var batch = new List<Pending>();
        var writer = new WriterSession();
        Pending? carried = null;
        try
        {
            while (true)
            {
                // One writer at a time gathers requests and copies them in, and it starts its COPY only once the
                // previous transaction has committed, or when its batch is full: the requests that arrive meanwhile join
                // it. A commit costs the server about as much as copying a few hundred events (the COPY statement, the
                // WAL flush), so under load commits grow as large as the load makes them; with no commit in flight (a
                // light load) a request is copied at once. The turn passes on before the COMMIT, so that the next batch
                // gathers, and a full one copies, while this one waits for its WAL flush. Never two COPYs interleave
                // their rows in the queue's index.
                using var turn = await CopyTurn.TakeAsync(_copying);
                if (carried is null && !await reader.WaitToReadAsync(CancellationToken.None))
                {
                    break;
                }

                var (events, bytes) = (0, 0L);
                while (true)
                {
                    // Everything waiting goes into this transaction, up to a batch; the first request always fits.
                    while ((carried ?? (reader.TryRead(out var next) ? next : null)) is { } request)
                    {
                        carried = null;
                        if (batch.Count > 0 && (events + request.Rows.Count > _options.MaxBatchEvents || bytes + request.Rows.Length > _options.MaxBatchBytes))
                        {
                            carried = request;
                            break;
                        }

                        batch.Add(request);
                        events += request.Rows.Count;
                        bytes += request.Rows.Length;
                    }

                    if (carried is not null || _committing is not { IsCompleted: false } committing)
                    {
                        break;
                    }

                    // Until the commit in flight ends or another request arrives (a wait for requests left pending here
                    // is completed by the channel with the next one). A closed channel brings none: only the commit.
                    var arrives = reader.WaitToReadAsync(CancellationToken.None).AsTask();
                    await (arrives.IsCompletedSuccessfully && !arrives.Result ? committing : Task.WhenAny(committing, arrives));
                }

                if (batch.Count == 0)
                {
                    continue;
                }

                await CommitOrFailAsync(batch, events, writer, turn);
                foreach (var request in batch)
                {
                    // Every caller has its answer; a caller that stopped waiting never reads the rows either.
                    request.Rows.Dispose();
                }

                batch.Clear();
            }
        }
        finally
        {
            await writer.DisposeAsync();
        }
    }

    /// <summary>
    /// Commits the batch and completes its callers. When the database refuses it for a reason that is not transient,
    /// one request may be at fault: each is then committed alone, so that one bad request fails only its caller.
    /// </summary>
    private async Task CommitOrFailAsync(List<Pending> batch, int events, WriterSession writer, CopyTurn turn)
    {
        SluiceException error;
        try
        {
            await CommitAsync(batch, events, writer, turn);
            Answer(batch, null);
            return;
        }
        catch (Exception e)
        {
            error = PostgresCall.Translate(e, new PostgresCallContext(What));
        }

        if (error.IsRetryable || batch.Count == 1)
        {
            Answer(batch, error);
            return;
        }

        foreach (var request in batch)
        {
            await CommitOrFailAsync([request], request.Rows.Count, writer, turn);
        }
    }

    /// <summary>
    /// Completes the callers of a committed (or failed) batch. Their continuations — writing each answer to its
    /// connection — run one after another on one thread-pool thread, not on this writer (which goes on to the next
    /// batch at once) and not on a thread each: one hand-off per transaction instead of one per request, which on a
    /// machine of few cores is a wake-up and a context switch saved per request.
    /// </summary>
    private static void Answer(List<Pending> batch, SluiceException? error)
    {
        ThreadPool.UnsafeQueueUserWorkItem(
            static answers =>
            {
                foreach (var request in answers.Requests)
                {
                    _ = answers.Error is null ? request.Completion.TrySetResult() : request.Completion.TrySetException(answers.Error);
                }
            },
            new Answers(batch.ToArray(), error),
            preferLocal: false);
    }

    /// <summary>
    /// One transaction for the batch, on the writer's own connection. Not cancellable: callers wait on it, and a COPY
    /// abandoned halfway helps nobody (a broken connection fails it anyway, after the pool's timeouts).
    /// </summary>
    private async Task CommitAsync(List<Pending> batch, int events, WriterSession writer, CopyTurn turn)
    {
        var connection = await writer.OpenAsync(_dataSource, _time);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await RawCopyIn.RunAsync(connection, _copy, batch, static async (copy, batch, ct) =>
            {
                await copy.WriteAsync(IngestCopyRows.Header, ct);
                foreach (var request in batch)
                {
                    await copy.WriteAsync(request.Rows.Rows, ct);
                }

                await copy.WriteAsync(IngestCopyRows.Trailer, ct);
            }, CancellationToken.None);

            await using (var beforeCommit = new NpgsqlBatch(connection, transaction))
            {
                // A caller is told its events are safe when COMMIT returns, so COMMIT must wait for the WAL flush even where
                // the server or database turned synchronous_commit off (stronger settings, such as remote_apply, are kept).
                beforeCommit.BatchCommands.Add(new NpgsqlBatchCommand("SELECT set_config('synchronous_commit', 'on', true) WHERE current_setting('synchronous_commit') = 'off'"));
                if (_options.Notify)
                {
                    // Delivered at COMMIT, to every process's readers; it also serialises the commits of notifying writers
                    // on one server-wide lock, which group commit keeps to a few per second per writer.
                    var notify = new NpgsqlBatchCommand("SELECT pg_notify($1, '')");
                    notify.Parameters.Add(new NpgsqlParameter { Value = _channel });
                    beforeCommit.BatchCommands.Add(notify);
                }

                await beforeCommit.ExecuteNonQueryAsync();
            }

            // The rows are in: the next writer may gather (and copy a full batch) while this one waits for its WAL flush.
            var committed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _committing = committed.Task;
            turn.Pass();
            try
            {
                await transaction.CommitAsync();
            }
            finally
            {
                committed.SetResult();
            }
        }
        catch
        {
            // Whatever state the session was left in, the next transaction starts on a fresh one.
            await writer.DropAsync();
            throw;
        }

        Interlocked.Increment(ref _transactions);
        Interlocked.Add(ref _committed, events);
    }

    /// <summary>Stops taking requests, commits the ones already waiting, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _waiting.Writer.TryComplete();
        await Task.WhenAll(_writers);
        await _stop.CancelAsync();
        try
        {
            await _retention;
        }
        catch (OperationCanceledException)
        {
            // Stopped mid-pass; the next process's pass carries on.
        }

        _stop.Dispose();
        _copying.Dispose();
    }

    /// <summary>
    /// PostgreSQL text cannot hold a NUL character, so neither the event's names nor its payload (which destinations
    /// write as text or JSON) may; refusing such an event here keeps it from failing the other callers' events in its
    /// transaction, or a destination later. (Valid JSON never holds a raw NUL: it escapes it as \u0000.)
    /// </summary>
    private static IReadOnlyList<IngestEvent> Validated(IReadOnlyList<IngestEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Payload.Span.Contains((byte)0) || HasNul(e.Source) || HasNul(e.Kind) || HasNul(e.Type) || HasNul(e.Event))
            {
                throw new SluiceException(ErrorClass.RecordRejected, $"event {e.EventId}: contains a NUL character, which the ingest queue cannot store; escape it in JSON as \\u0000");
            }
        }

        return events;

        static bool HasNul(string? text) => text is not null && text.Contains('\0', StringComparison.Ordinal);
    }

    private static SluiceException ShuttingDown() =>
        SluiceException.Transient($"{What}: Sluice is shutting down and takes no more events; retry against another instance");

    /// <summary>One caller's events, as COPY rows, and the task it waits on.</summary>
    private sealed class Pending(IngestCopyRows rows)
    {
        public IngestCopyRows Rows { get; } = rows;

        /// <summary>Completed by <see cref="Answer"/> on a thread of its own, so its continuations may run there, inline.</summary>
        public TaskCompletionSource Completion { get; } = new();
    }

    private sealed record Answers(Pending[] Requests, SluiceException? Error);
}
