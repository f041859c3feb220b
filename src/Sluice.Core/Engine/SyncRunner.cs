using System.Diagnostics;
using System.Threading.Channels;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Core.Telemetry;

namespace Sluice.Core.Engine;

/// <summary>
/// Runs one sync: read → map → batch → rate-limit → write → commit. Three stages run concurrently
/// (a producer that reads, maps, encodes and batches; senders, as many as the destination allows in
/// flight; a committer) and the committer applies acknowledged batches strictly in order, so the
/// checkpoint only ever moves over records the destination has acknowledged.
/// </summary>
public sealed partial class SyncRunner(ISyncStateStore store, TimeProvider time, ISyncObserver? observer = null)
{
    private readonly ISyncObserver _observer = TelemetryObserver.Around(observer ?? NullObserver.Instance);
    private readonly TimeProvider _time = time;

    public async Task<RunResult> RunAsync(SyncDefinition sync, RunKind kind, CancellationToken ct)
    {
        using var span = SyncSpans.StartRun(sync.Name, kind);
        var schema = await sync.Source.DiscoverAsync(ct);
        if (sync.Source.Notice is { } notice)
        {
            _observer.OnNotice(sync.Name, notice);
        }

        var shape = await DestinationShapes.ResolveAsync(sync.Destination, ct);
        var columns = await Processing.ProcessorColumns.CompileAsync(sync.Mapping, schema, shape, sync.Processors, ct);
        var mapping = columns.Mapping;

        await using var lease = await store.TryAcquireAsync(sync.Name, ct) ?? throw new SyncAlreadyRunningException(sync.Name);
        var stored = await lease.LoadCheckpointAsync(ct);
        var request = new ReadRequest(columns.SourceColumns, kind == RunKind.Full ? null : stored)
        {
            Watched = shape.WatchedColumns.Select(c => c.Column).Distinct(StringComparer.Ordinal).ToList(),
        };
        // A first or full read whose first row takes its source long to compute begins now, while the run is prepared.
        await using var headStart = ReadHeadStart.TryBegin(sync, request with { RecordStates = lease.RecordStates }, ct);
        var runId = await lease.StartRunAsync(kind, ct);
        var started = _time.GetUtcNow();
        Run? run = null;
        try
        {
            var estimate = await sync.Source.EstimateAsync(request, ct);
            _observer.OnStarted(sync.Name, runId, estimate);
            run = new Run(this, sync, lease, mapping, request, runId, estimate, kind) { Columns = columns, HeadStart = headStart };
            var result = await run.ExecuteAsync(ct);
            await lease.FinishRunAsync(runId, new RunOutcome(RunStatus.Succeeded), Audit(sync, mapping, run, started), CancellationToken.None);
            return result;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await lease.FinishRunAsync(runId, new RunOutcome(RunStatus.Cancelled, "cancelled"), Audit(sync, mapping, run, started), CancellationToken.None);
            throw;
        }
        catch (Exception e)
        {
            await lease.FinishRunAsync(runId, new RunOutcome(RunStatus.Failed, e is SluiceException ? e.Message : $"internal error: {e.Message}"),
                Audit(sync, mapping, run, started), CancellationToken.None);
            throw;
        }
    }

    /// <summary>The state of one execution: its channels, counters and the in-order commit window.</summary>
    private sealed partial class Run(SyncRunner runner, SyncDefinition sync, ISyncLease lease, CompiledMapping mapping, ReadRequest request, long runId, long? estimate, RunKind kind)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly int _inFlight = Math.Max(1, sync.Destination.Limits.MaxInFlight);
        private long _read;
        private long _acknowledged;
        private long _rejected;
        private long _committedRead;
        private long _batches;
        private long _skipped;
        private Checkpoint? _lastCheckpoint;

        /// <summary>The mapping's columns and what the source reads of them (less what processors add).</summary>
        public required Processing.ProcessorColumns Columns { get; init; }

        /// <summary>The source's read, when it began before the run was prepared; the read stage takes it over.</summary>
        public ReadHeadStart? HeadStart { get; init; }

        public async Task<RunResult> ExecuteAsync(CancellationToken ct)
        {
            await PrepareWriteBackAsync(ct);
            DecideSharedTransactions();
            _acknowledged += await OfferWaitingAgainAsync(ct);
            await DecideEarlyBatchesAsync(ct);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var toSend = Channel.CreateBounded<OutgoingBatch>(new BoundedChannelOptions(_inFlight) { SingleWriter = true });
            var sent = Channel.CreateUnbounded<OutgoingBatch>(new UnboundedChannelOptions { SingleReader = true });
            // Bounds memory: batches produced but not yet committed. Without it a batch stuck in retries
            // would let later ones pile up behind the in-order committer.
            using var window = new SemaphoreSlim(_inFlight * 2);

            var chunks = Channel.CreateBounded<List<Change>>(new BoundedChannelOptions(8) { SingleWriter = true, SingleReader = true });
            var reader = Guard(ReadAsync(chunks.Writer, stop.Token), stop);
            var producer = Guard(ProduceAsync(chunks.Reader, toSend.Writer, window, stop.Token), stop);
            var senders = Enumerable.Range(0, _inFlight).Select(_ => Guard(SendLoopAsync(toSend.Reader, sent.Writer, stop.Token), stop)).ToArray();
            var sendersDone = Task.WhenAll(senders).ContinueWith(_ => sent.Writer.TryComplete(), TaskScheduler.Default);
            var committer = Guard(CommitLoopAsync(sent.Reader, window, stop.Token), stop);

            try
            {
                await Task.WhenAll([reader, producer, .. senders, committer]);
            }
            catch
            {
                // Report the first real failure, not the cancellations it caused in the other stages.
                var all = new[] { reader, producer, committer }.Concat(senders);
                var failure = all.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
                if (failure is not null && !ct.IsCancellationRequested)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
                }

                throw;
            }
            finally
            {
                await sendersDone;
                await RollBackOpenTransactionsAsync();
            }

            return new RunResult(runId, _read, _acknowledged, _rejected, _batches, _clock.Elapsed, _lastCheckpoint) { Skipped = Interlocked.Read(ref _skipped) };
        }

        /// <summary>Any stage's failure stops the others.</summary>
        private static async Task Guard(Task stage, CancellationTokenSource stop)
        {
            try
            {
                await stage;
            }
            catch
            {
                await stop.CancelAsync();
                throw;
            }
        }

        private void ReportProgress() =>
            runner._observer.OnProgress(sync.Name, new RunProgress(Interlocked.Read(ref _read), _acknowledged, _rejected, estimate, _clock.Elapsed));
    }

    private sealed class NullObserver : ISyncObserver
    {
        public static readonly NullObserver Instance = new();
    }
}
