using System.Buffers;

namespace Sluice.State.Ingest.Http;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over arrays rented from the shared pool: a request's normalised events are
/// written here, encoded as COPY rows, and the array goes back to the pool when the request is answered — no
/// freshly zeroed array of some tens of KB per request for the garbage collector.
/// </summary>
internal sealed class PooledBufferWriter(int capacity) : IBufferWriter<byte>, IDisposable
{
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));

    /// <summary>Bytes written so far.</summary>
    public int WrittenCount { get; private set; }

    /// <summary>What was written, valid until the next write that grows the buffer, or <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => Buffer.AsMemory(0, WrittenCount);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PooledBufferWriter));

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (WrittenCount + count > Buffer.Length)
        {
            throw new InvalidOperationException("advanced past the end of the buffer");
        }

        WrittenCount += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(WrittenCount);

    public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(WrittenCount);

    /// <summary>Returns the array to the pool; nothing written may be read afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private byte[] Ensure(int sizeHint)
    {
        var buffer = Buffer;
        var needed = (long)WrittenCount + Math.Max(sizeHint, 1);
        if (needed <= buffer.Length)
        {
            return buffer;
        }

        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, buffer.Length * 2L)));
        buffer.AsSpan(0, WrittenCount).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        _buffer = larger;
        return larger;
    }
}
