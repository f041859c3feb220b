using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>
/// Reads a request body whatever its Content-Type, inflating <c>Content-Encoding: gzip</c> (the RudderStack
/// node SDK gzips with an x-www-form-urlencoded content type). The size limit applies to the JSON, after
/// inflation, so a small gzip body cannot smuggle a huge batch.
/// </summary>
internal static class RequestBodyReader
{
    private const int InitialBufferBytes = 16 * 1024;

    public static async Task<RequestBody> ReadAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        var encoding = request.Headers.ContentEncoding.ToString().Trim();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            await DrainAsync(request, ct);
            return new RequestBody(RequestBodyStatus.Unreadable, null, $"Unsupported Content-Encoding \"{encoding}\": send identity or gzip");
        }

        if (!gzip && request.ContentLength is { } declared && declared <= limit)
        {
            // The common case: read straight into the array that will hold the events.
            var exact = GC.AllocateUninitializedArray<byte>((int)declared);
            await request.Body.ReadExactlyAsync(exact, ct);
            return new RequestBody(RequestBodyStatus.Ok, exact);
        }

        return await ReadUnknownLengthAsync(request, gzip, limit, ct);
    }

    private static async Task<RequestBody> ReadUnknownLengthAsync(HttpRequest request, bool gzip, int limit, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        var length = 0;
        string? problem = null;
        var source = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;
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

        await DrainAsync(request, ct);
        return problem is null
            ? new RequestBody(RequestBodyStatus.TooLarge, null)
            : new RequestBody(RequestBodyStatus.Unreadable, null, problem);
    }

    /// <summary>Consumes the rest of a refused body so the client reads our 400 instead of a reset connection.</summary>
    private static async Task DrainAsync(HttpRequest request, CancellationToken ct)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (await request.Body.ReadAsync(scratch, ct) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
