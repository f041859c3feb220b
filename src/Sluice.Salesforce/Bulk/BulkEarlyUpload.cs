using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Salesforce.Connection;

namespace Sluice.Salesforce.Bulk;

/// <summary>
/// A batch's Bulk API 2.0 upload made while the engine still fills the batch (<see cref="IEarlyBatch"/>): once the
/// batch holds <c>bulk_threshold</c> rows the job is created and its CSV streamed on one chunked request, each row as
/// it joins, so reading PostgreSQL, encoding and uploading overlap instead of following one another. The job is only
/// closed (<c>UploadComplete</c>, after which alone Salesforce processes it) by <see cref="TryFinishAsync"/>, when the
/// destination is asked to write exactly the rows uploaded; otherwise it is aborted and nothing of it is processed.
/// </summary>
internal sealed class BulkEarlyUpload : IEarlyBatch
{
    // Rows encoded into one piece of the request body, and pieces waiting to be sent: a slow upload slows the encoder.
    private const int PieceBytes = 64 * 1024;
    private const int PiecesAhead = 32;

    private readonly Func<BulkIngestJob> _startJob;
    private readonly int _threshold;
    private readonly long _maxBytes;
    private readonly Action<BulkEarlyUpload> _done;
    private readonly List<EncodedRecord> _records = [];
    private readonly BulkRows _rows = new();
    private readonly CsvUtf8Writer _writer = new(PieceBytes + 4096);
    private readonly CancellationTokenSource _uploadEnded = new();
    private Channel<(byte[] Array, int Length)>? _pieces;
    private BulkIngestJob? _job;
    private Task? _upload;
    private int _written;
    private int _columns;
    private bool _broken;
    private bool _cut;
    private int _settled;

    public BulkEarlyUpload(Func<BulkIngestJob> startJob, int threshold, long maxBytes, Action<BulkEarlyUpload> done)
    {
        _startJob = startJob;
        _threshold = Math.Max(1, threshold);
        _maxBytes = maxBytes;
        _done = done;
    }

    /// <summary>The records shown, in order (deletes left out: they never go in a Bulk upsert).</summary>
    public IReadOnlyList<EncodedRecord> Records => _records;

    public async ValueTask AddAsync(EncodedRecord record, CancellationToken ct)
    {
        if (record.Change.Operation == ChangeOperation.Delete)
        {
            return;
        }

        _records.Add(record);
        if (_broken)
        {
            return;
        }

        // A record rebuilt from storage has no cells, and a row that would pass the upload's size or change its columns
        // after the header went out cannot join: the batch is then sent as usual.
        if (record.Prepared is not BulkRecord cells || !_rows.TryAdd(cells, id: null, keep: null, _maxBytes) || (_job is not null && _rows.Columns.Count != _columns))
        {
            await BreakAsync();
            return;
        }

        if (_job is null)
        {
            if (_rows.Count < _threshold)
            {
                return;
            }

            Open(ct);
        }

        _rows.WriteRow(_writer, _rows.Count - 1);
        _written = _rows.Count;
        if (_writer.Length >= PieceBytes)
        {
            await SendPieceAsync(ct);
        }
    }

    public async ValueTask CutAsync(CancellationToken ct)
    {
        _cut = true;
        if (_job is null || _broken)
        {
            return;
        }

        await SendPieceAsync(ct);
        _pieces!.Writer.TryComplete();
    }

    /// <summary>
    /// When the upload holds exactly <paramref name="records"/> (the same records, in the same order) and went through:
    /// closes the job, waits for it and answers each record; null otherwise (the job aborted), and the caller sends them as usual.
    /// </summary>
    public async Task<WriteResult[]?> TryFinishAsync(IReadOnlyList<EncodedRecord> records, Func<string, WriteResult> settleError, Action? whileProcessing, CancellationToken ct)
    {
        if (!Matches(records) || Interlocked.Exchange(ref _settled, 1) != 0)
        {
            return null;
        }

        try
        {
            await _upload!;
        }
        catch (Exception)
        {
            // The streamed upload failed (it cannot be sent again: its rows went by). The batch goes as usual.
            await AbandonAsync();
            return null;
        }

        return await _job!.FinishAsync(_rows, settleError, whileProcessing, ct);
    }

    /// <summary>Whether this upload was made for <paramref name="records"/>: cut, whole, and the very same records.</summary>
    public bool Matches(IReadOnlyList<EncodedRecord> records)
    {
        if (!_cut || _broken || _job is null || _upload is null || records.Count != _records.Count || _written != _records.Count)
        {
            return false;
        }

        for (var i = 0; i < records.Count; i++)
        {
            if (!ReferenceEquals(records[i], _records[i]))
            {
                return false;
            }
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        _done(this);
        if (Interlocked.Exchange(ref _settled, 1) == 0)
        {
            await BreakAsync();
        }

        // No row is written any more: the buffer goes back to the pool.
        _writer.Dispose();
    }

    private void Open(CancellationToken ct)
    {
        _job = _startJob();
        _pieces = Channel.CreateBounded<(byte[] Array, int Length)>(new BoundedChannelOptions(PiecesAhead) { SingleReader = true, SingleWriter = true });
        _rows.WriteHeader(_writer);
        _columns = _rows.Columns.Count;
        for (var i = 0; i < _rows.Count - 1; i++)
        {
            _rows.WriteRow(_writer, i);
        }

        var given = 0;
        // Sent once, never again: a resend (a new token after 401) finds no body and fails, and the batch goes as usual.
        _upload = UploadAsync(() => Interlocked.Exchange(ref given, 1) == 0 ? new PiecesContent(_pieces.Reader) : throw new InvalidOperationException("a streamed upload cannot be sent twice"), ct);
    }

    private async Task UploadAsync(Func<HttpContent?> content, CancellationToken ct)
    {
        try
        {
            await _job!.UploadAsync(content, retrySafe: false, ct);
        }
        finally
        {
            // The body is no longer read: a writer waiting for room must not wait for ever.
            await _uploadEnded.CancelAsync();
        }
    }

    private async Task SendPieceAsync(CancellationToken ct)
    {
        if (_writer.Length == 0)
        {
            return;
        }

        var piece = _writer.TakePiece();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _uploadEnded.Token);
        try
        {
            await _pieces!.Writer.WriteAsync(piece, linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The upload ended early (it failed): the batch goes as usual.
            await BreakAsync();
        }
    }

    /// <summary>Gives the early upload up: the body ends in an error and the job, if created, is aborted, so nothing of it is processed.</summary>
    private async Task BreakAsync()
    {
        if (_broken)
        {
            return;
        }

        _broken = true;
        _writer.Clear();
        if (_job is null)
        {
            return;
        }

        _pieces!.Writer.TryComplete(new InvalidOperationException("the early upload was given up"));
        try
        {
            await _upload!;
        }
        catch (Exception)
        {
            // Expected: the body ended in an error. The job is aborted below either way.
        }

        await AbandonAsync();
    }

    /// <summary>Aborts the job. Never fails the run: whatever went wrong early, the batch is still sent as usual.</summary>
    private async Task AbandonAsync()
    {
        try
        {
            await _job!.AbandonAsync();
        }
        catch (Exception)
        {
            // Not created (the run was cancelled, or creating it failed): nothing was uploaded into it, and an open job is never processed.
        }
    }

    /// <summary>The request body: the pieces as they come, until the writer completes (or fails, which fails the request).</summary>
    private sealed class PiecesContent : HttpContent
    {
        private readonly ChannelReader<(byte[] Array, int Length)> _pieces;

        public PiecesContent(ChannelReader<(byte[] Array, int Length)> pieces)
        {
            _pieces = pieces;
            Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await foreach (var (piece, length) in _pieces.ReadAllAsync(cancellationToken))
            {
                await stream.WriteAsync(piece.AsMemory(0, length), cancellationToken);
                // Sent: the pooled array takes the next piece. (A piece never sent, the upload given up, is left to the collector.)
                CsvUtf8Writer.Return(piece);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
