using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Sluice.Core.Errors;
using Sluice.Postgres;
using static Sluice.Postgres.BinaryCopyFields;

namespace Sluice.State.Ingest;

/// <summary>
/// One request's events as rows of PostgreSQL's binary COPY format for
/// <c>ingest_queue (source, event_id, kind, type, event, received_at, payload, trace_parent)</c>, encoded on the
/// request's own thread into one pooled buffer. The writer that commits a group of requests then streams these bytes
/// as they are: no per-value calls into the driver's importer, and the payloads are copied once, here.
/// </summary>
/// <remarks>
/// The format (PostgreSQL docs, "COPY", "Binary Format"): per row an int16 field count, then per field an int32 length
/// (-1 for NULL) and the value in the type's binary send format — text as UTF-8, uuid as its 16 bytes in RFC order,
/// timestamptz as int64 microseconds since 2000-01-01 UTC, bytea as is. All integers are big-endian.
/// </remarks>
internal sealed class IngestCopyRows : IDisposable
{
    private const short Fields = 8;

    private byte[]? _buffer;

    private IngestCopyRows(byte[] buffer, int length, int count)
    {
        _buffer = buffer;
        Length = length;
        Count = count;
    }

    /// <summary>The start of a binary COPY stream: the signature, flags (no OIDs) and an empty header extension.</summary>
    public static ReadOnlyMemory<byte> Header { get; } = BinaryCopyFields.Header.ToArray();

    /// <summary>The end of a binary COPY stream: a field count of -1.</summary>
    public static ReadOnlyMemory<byte> Trailer { get; } = new byte[] { 0xFF, 0xFF };

    /// <summary>How many rows.</summary>
    public int Count { get; }

    /// <summary>Bytes of the rows.</summary>
    public int Length { get; }

    /// <summary>The rows, valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Rows => (_buffer ?? throw new ObjectDisposedException(nameof(IngestCopyRows))).AsMemory(0, Length);

    /// <summary>Encodes <paramref name="events"/>; a name that is not valid UTF-16 (a lone surrogate) refuses them all.</summary>
    public static IngestCopyRows Encode(IReadOnlyList<IngestEvent> events)
    {
        var most = 0L;
        foreach (var e in events)
        {
            most += MostBytes(e);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(checked((int)most));
        var span = buffer.AsSpan();
        var at = 0;
        try
        {
            foreach (var e in events)
            {
                at = Write(span, at, e);
            }
        }
        catch (EncoderFallbackException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new SluiceException(ErrorClass.RecordRejected, "an event's source, type or name is not valid text (a lone UTF-16 surrogate); the ingest queue cannot store it");
        }

        return new IngestCopyRows(buffer, at, events.Count);
    }

    /// <summary>Returns the buffer to the pool; the rows must no longer be in use.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static long MostBytes(IngestEvent e) =>
        2 + (8 * 4) + 16 + 8 + e.Payload.Length
        + (long)BinaryCopyFields.Utf8.GetMaxByteCount(e.Source.Length + e.Kind.Length + e.Type.Length + (e.Event?.Length ?? 0) + (e.TraceParent?.Length ?? 0));

    private static int Write(Span<byte> span, int at, IngestEvent e)
    {
        BinaryPrimitives.WriteInt16BigEndian(span[at..], Fields);
        at += 2;
        at = WriteText(span, at, e.Source);
        BinaryPrimitives.WriteInt32BigEndian(span[at..], 16);
        e.EventId.TryWriteBytes(span.Slice(at + 4, 16), bigEndian: true, out _);
        at += 4 + 16;
        at = WriteText(span, at, e.Kind);
        at = WriteText(span, at, e.Type);
        at = WriteText(span, at, e.Event);
        at = WriteTimestamp(span, at, e.ReceivedAt);
        BinaryPrimitives.WriteInt32BigEndian(span[at..], e.Payload.Length);
        e.Payload.Span.CopyTo(span[(at + 4)..]);
        at += 4 + e.Payload.Length;
        return WriteText(span, at, e.TraceParent);
    }

}
