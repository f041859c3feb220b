using System.Buffers;
using System.Buffers.Binary;
using static Sluice.Postgres.BinaryCopyFields;

namespace Sluice.State;

/// <summary>
/// A batch's record-ledger entries as one binary COPY stream into
/// <c>record_state (sync_id, record_key, fingerprint, watched_values, status, destination_id, origin, run_id, skip_reason)</c>,
/// encoded into one pooled buffer: the driver's importer took nine calls per entry, each binding a converter (measured:
/// about a tenth of a 100,000-record first sync's CPU in sluice went to the ledger's COPY that way).
/// </summary>
/// <remarks>
/// The format (PostgreSQL docs, "COPY", "Binary Format"): a header, per row an int16 field count and per field an int32
/// length (-1 for NULL) and the value in its type's binary send format — bigint as 8 bytes, text as UTF-8, bytea as is,
/// jsonb as a version byte (1) and the JSON text — then a trailer; integers big-endian. Every text has passed through
/// <see cref="StoredText"/>, so it encodes (no NUL, no lone surrogate).
/// </remarks>
internal sealed class RecordStateCopyRows : IDisposable
{
    public const string Columns = "sync_id, record_key, fingerprint, watched_values, status, destination_id, origin, run_id, skip_reason";

    private const short Fields = 9;

    private byte[]? _buffer;
    private readonly int _length;

    private RecordStateCopyRows(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    /// <summary>The whole COPY stream, header and trailer included; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Stream => (_buffer ?? throw new ObjectDisposedException(nameof(RecordStateCopyRows))).AsMemory(0, _length);

    /// <summary>Encodes the entries of parallel lists, one entry per index, each of <paramref name="syncId"/> and stored by <paramref name="runId"/>.</summary>
    public static RecordStateCopyRows Encode(long syncId, long runId, IReadOnlyList<string> keys, IReadOnlyList<byte[]?> fingerprints, IReadOnlyList<string?> watched,
        IReadOnlyList<string?> statuses, IReadOnlyList<string?> destinationIds, IReadOnlyList<string?> origins, IReadOnlyList<string?> skipReasons)
    {
        var most = (long)Header.Length + 2;
        for (var i = 0; i < keys.Count; i++)
        {
            var chars = keys[i].Length + (watched[i]?.Length ?? 0) + (statuses[i]?.Length ?? 0) + (destinationIds[i]?.Length ?? 0) + (origins[i]?.Length ?? 0) + (skipReasons[i]?.Length ?? 0);
            most += 2 + (Fields * 4) + 8 + 8 + 1 + (fingerprints[i]?.Length ?? 0) + (long)Utf8.GetMaxByteCount(chars);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(checked((int)most));
        try
        {
            var span = buffer.AsSpan();
            Header.CopyTo(span);
            var at = Header.Length;
            for (var i = 0; i < keys.Count; i++)
            {
                BinaryPrimitives.WriteInt16BigEndian(span[at..], Fields);
                at = WriteBigint(span, at + 2, syncId);
                at = WriteText(span, at, keys[i]);
                at = WriteBytes(span, at, fingerprints[i]);
                at = WriteJsonb(span, at, watched[i]);
                at = WriteText(span, at, statuses[i]);
                at = WriteText(span, at, destinationIds[i]);
                at = WriteText(span, at, origins[i]);
                at = WriteBigint(span, at, runId);
                at = WriteText(span, at, skipReasons[i]);
            }

            // The trailer: a field count of -1.
            BinaryPrimitives.WriteInt16BigEndian(span[at..], -1);
            return new RecordStateCopyRows(buffer, at + 2);
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

    private static int WriteBigint(Span<byte> span, int at, long value)
    {
        BinaryPrimitives.WriteInt32BigEndian(span[at..], 8);
        BinaryPrimitives.WriteInt64BigEndian(span[(at + 4)..], value);
        return at + 12;
    }

    private static int WriteBytes(Span<byte> span, int at, byte[]? bytes)
    {
        if (bytes is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[at..], -1);
            return at + 4;
        }

        BinaryPrimitives.WriteInt32BigEndian(span[at..], bytes.Length);
        bytes.CopyTo(span[(at + 4)..]);
        return at + 4 + bytes.Length;
    }

    private static int WriteJsonb(Span<byte> span, int at, string? json)
    {
        if (json is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[at..], -1);
            return at + 4;
        }

        span[at + 4] = JsonbVersion;
        var length = Utf8.GetBytes(json, span[(at + 5)..]);
        BinaryPrimitives.WriteInt32BigEndian(span[at..], length + 1);
        return at + 5 + length;
    }
}
