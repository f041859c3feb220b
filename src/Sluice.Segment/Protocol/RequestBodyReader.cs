using System.Buffers;
using System.IO.Compression;

namespace Sluice.Segment.Protocol;

/// <summary>
/// Reads a tracking request body whatever its Content-Type, inflating <c>Content-Encoding: gzip</c> (the RudderStack
/// node SDK gzips with an x-www-form-urlencoded content type). The size limit applies to the JSON, after
/// inflation, so a small gzip body cannot smuggle a huge batch, and nothing is ever buffered past the limit.
/// </summary>
public static class RequestBodyReader
{
    private const int InitialBufferBytes = 16 * 1024;

    /// <summary>How much of a refused body is read and discarded so the client sees the 400; past that the host closes the connection.</summary>
    private const long MaxDrainBytes = 4L * SegmentLimits.MaxBatchBytes;

    /// <param name="body">The request body stream.</param>
    /// <param name="contentEncoding">The Content-Encoding header (empty or null for none).</param>
    /// <param name="contentLength">The Content-Length header, if any.</param>
    /// <param name="limit">The most bytes of (inflated) JSON accepted.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    public static async Task<RequestBody> ReadAsync(Stream body, string? contentEncoding, long? contentLength, int limit, CancellationToken ct)
    {
        var encoding = (contentEncoding ?? "").Trim();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            await DrainAsync(body, ct);
            return new RequestBody(RequestBodyStatus.Unreadable, null, $"Unsupported Content-Encoding \"{encoding}\": send identity or gzip");
        }

        if (!gzip && contentLength is { } declared && declared <= limit)
        {
            // The common case: read straight into the array that will hold the events.
            var exact = GC.AllocateUninitializedArray<byte>((int)declared);
            await body.ReadExactlyAsync(exact, ct);
            return new RequestBody(RequestBodyStatus.Ok, exact);
        }

        return await ReadUnknownLengthAsync(body, gzip, limit, ct);
    }

    private static async Task<RequestBody> ReadUnknownLengthAsync(Stream body, bool gzip, int limit, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        var length = 0;
        string? problem = null;
        var source = gzip ? new GZipStream(body, CompressionMode.Decompress, leaveOpen: true) : body;
        try
        {
            while (length <= limit)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, limit + 1L));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await source.ReadAsync(buffer.AsMemory(length), ct);
                if (read == 0)
                {
                    return new RequestBody(RequestBodyStatus.Ok, buffer.AsSpan(0, length).ToArray());
                }

                length += read;
            }
        }
        catch (InvalidDataException ex)
        {
            problem = "Invalid gzip body: " + ex.Message;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (gzip)
            {
                await source.DisposeAsync();
            }
        }

        await DrainAsync(body, ct);
        return problem is null
            ? new RequestBody(RequestBodyStatus.TooLarge, null)
            : new RequestBody(RequestBodyStatus.Unreadable, null, problem);
    }

    /// <summary>Consumes the rest of a refused body (up to a cap) so the client reads our 400 instead of a reset connection.</summary>
    private static async Task DrainAsync(Stream body, CancellationToken ct)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long drained = 0;
            int read;
            while (drained < MaxDrainBytes && (read = await body.ReadAsync(scratch, ct)) > 0)
            {
                drained += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
