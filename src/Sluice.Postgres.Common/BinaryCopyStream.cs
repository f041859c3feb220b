using System.Buffers;
using System.Buffers.Binary;

namespace Sluice.Postgres;

/// <summary>
/// A whole binary COPY stream — header, rows, trailer — encoded into one pooled buffer, to go to the server in one write
/// (<see cref="Stream"/>) where the driver's importer takes a call per value. The writers of the ledgers, the events
/// table and the records export each encode their rows with <see cref="Encode{TState}"/> and hand this on.
/// </summary>
public sealed class BinaryCopyStream : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    private BinaryCopyStream(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    /// <summary>Writes the rows into <paramref name="span"/> from <paramref name="at"/> on; returns where they end.</summary>
    public delegate int RowsWriter<in TState>(Span<byte> span, int at, TState state);

    /// <summary>The whole COPY stream, header and trailer included; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Stream => (_buffer ?? throw new ObjectDisposedException(nameof(BinaryCopyStream))).AsMemory(0, _length);

    /// <summary>
    /// The stream of the rows <paramref name="rows"/> writes, in a buffer of <paramref name="most"/> bytes: an upper bound
    /// of the whole stream, <see cref="BinaryCopyFields.HeaderLength"/> and the 2-byte trailer included. Whatever the
    /// writer throws leaves nothing rented.
    /// </summary>
    public static BinaryCopyStream Encode<TState>(long most, TState state, RowsWriter<TState> rows)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(checked((int)most));
        try
        {
            var span = buffer.AsSpan();
            BinaryCopyFields.Header.CopyTo(span);
            var at = rows(span, BinaryCopyFields.HeaderLength, state);
            // The trailer: a field count of -1.
            BinaryPrimitives.WriteInt16BigEndian(span[at..], -1);
            return new BinaryCopyStream(buffer, at + 2);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Returns the buffer to the pool; the stream must no longer be in use.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
