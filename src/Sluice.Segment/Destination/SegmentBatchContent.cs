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
            var used = 0;
            async ValueTask PutAsync(ReadOnlyMemory<byte> bytes)
            {
                if (used + bytes.Length > staging.Length)
                {
                    await stream.WriteAsync(staging.AsMemory(0, used), cancellationToken);
                    used = 0;
                }

                if (bytes.Length > staging.Length)
                {
                    await stream.WriteAsync(bytes, cancellationToken);
                    return;
                }

                bytes.Span.CopyTo(staging.AsSpan(used));
                used += bytes.Length;
            }

            await PutAsync(Prefix);
            for (var i = 0; i < _records.Count; i++)
            {
                if (i > 0)
                {
                    await PutAsync(Comma);
                }

                await PutAsync(_records[i].Payload);
            }

            await PutAsync(_suffix);
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

    private static readonly ReadOnlyMemory<byte> Comma = new[] { (byte)',' };
}
