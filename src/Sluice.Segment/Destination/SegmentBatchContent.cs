using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sluice.Core.Connectors;

namespace Sluice.Segment.Destination;

/// <summary>
/// The body of <c>POST /v1/batch</c>, <c>{"batch":[…],"sentAt":"…"}</c>, written straight from the encoded
/// records to the connection through a small pooled buffer. Building it as one array would put half a
/// megabyte per request on the large-object heap, and every such heap fill costs a full GC.
/// </summary>
internal sealed class SegmentBatchContent : HttpContent
{
    private static readonly byte[] Prefix = "{\"batch\":["u8.ToArray();
    private const int StagingBytes = 64 * 1024;

    private readonly IReadOnlyList<EncodedRecord> _records;
    private readonly byte[] _suffix;

    public SegmentBatchContent(IReadOnlyList<EncodedRecord> records, DateTimeOffset sentAt)
    {
        _records = records;
        _suffix = Encoding.ASCII.GetBytes($"],\"sentAt\":\"{sentAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture)}\"}}");
        Headers.ContentType = new MediaTypeHeaderValue("application/json");
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var staging = ArrayPool<byte>.Shared.Rent(StagingBytes);
        try
        {
            // Copies stay synchronous; only a full staging buffer is awaited (an async call per event cost more than the copy).
            Prefix.CopyTo(staging, 0);
            var used = Prefix.Length;
            for (var i = 0; i < _records.Count; i++)
            {
                var payload = _records[i].Payload;
                var needed = payload.Length + (i > 0 ? 1 : 0);
                if (used + needed > staging.Length)
                {
                    await stream.WriteAsync(staging.AsMemory(0, used), cancellationToken);
                    used = 0;
                }

                if (i > 0)
                {
                    staging[used++] = (byte)',';
                }

                if (payload.Length > staging.Length - used)
                {
                    // Larger than the whole buffer (events are at most 32 KB, the buffer 64 KB: not today).
                    await stream.WriteAsync(staging.AsMemory(0, used), cancellationToken);
                    used = 0;
                    await stream.WriteAsync(payload, cancellationToken);
                    continue;
                }

                payload.Span.CopyTo(staging.AsSpan(used));
                used += payload.Length;
            }

            if (used + _suffix.Length > staging.Length)
            {
                await stream.WriteAsync(staging.AsMemory(0, used), cancellationToken);
                used = 0;
            }

            _suffix.CopyTo(staging, used);
            used += _suffix.Length;
            await stream.WriteAsync(staging.AsMemory(0, used), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(staging);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = Prefix.Length + _suffix.Length + Math.Max(0, _records.Count - 1);
        foreach (var record in _records)
        {
            length += record.Payload.Length;
        }

        return true;
    }
}
