using System.Buffers.Binary;
using System.Text;
using Npgsql;
using Sluice.Core.State;
using Sluice.Postgres;
using static Sluice.Postgres.BinaryCopyFields;

namespace Sluice.State;

/// <summary>
/// Reads one <c>text</c> column out of a binary COPY (<c>COPY (…) TO STDOUT (FORMAT binary)</c>) and hands each value's
/// UTF-8 bytes on as they lie in the read buffer: no string, no driver value per row, for the million stored keys a diff
/// loads per run (<see cref="IRecordStateReader.ReadKeysAsync"/>).
/// </summary>
/// <remarks>
/// The format (PostgreSQL's "COPY", section "Binary Format"): an 11-byte signature, a 32-bit flags word and a 32-bit
/// header extension length with that many bytes; then per row a 16-bit field count (-1 ends the data) and per field a
/// 32-bit length (-1: NULL) and the bytes, all big-endian.
/// </remarks>
internal static class StoredKeyCopy
{

    /// <summary>Hands every key of <paramref name="copySql"/> to <paramref name="visit"/>; false when it stopped the read.</summary>
    public static async Task<bool> ReadAsync(NpgsqlConnection connection, string copySql, StoredKeyVisitor visit, CancellationToken ct)
    {
        await using var stream = await connection.BeginRawBinaryCopyAsync(copySql, ct);
        await using var buffer = new CopyOutBuffer(stream, 1 << 16);
        var state = new Cursor();
        while (true)
        {
            var more = await buffer.FillAsync(ct);
            buffer.Consume(Parse(buffer.Data, ref state, visit));
            if (state.Outcome is { } outcome)
            {
                // Stopped early (rare: a key that is no number, or too many): disposing the stream reads the rest.
                return outcome;
            }

            if (!more)
            {
                throw new InvalidDataException("the stored keys' COPY ended before its end-of-data marker");
            }
        }
    }

    /// <summary>Where the parse of the stream stands between reads.</summary>
    private struct Cursor
    {
        public bool HeaderRead;

        /// <summary>Set once done: true at the end-of-data marker, false when the visitor stopped the read.</summary>
        public bool? Outcome;
    }

    /// <summary>Hands on every whole row in <paramref name="data"/>; returns the bytes consumed.</summary>
    private static int Parse(ReadOnlySpan<byte> data, ref Cursor state, StoredKeyVisitor visit)
    {
        var at = 0;
        if (!state.HeaderRead)
        {
            if (data.Length < HeaderLength)
            {
                return 0;
            }

            if (!data[..Signature.Length].SequenceEqual(Signature))
            {
                throw new InvalidDataException("the stored keys' COPY did not start with the binary COPY signature");
            }

            var extension = BinaryPrimitives.ReadInt32BigEndian(data[15..]);
            if (data.Length < HeaderLength + extension)
            {
                return 0;
            }

            at = HeaderLength + extension;
            state.HeaderRead = true;
        }

        while (data.Length - at >= 2)
        {
            var fields = BinaryPrimitives.ReadInt16BigEndian(data[at..]);
            if (fields == -1)
            {
                state.Outcome = true;
                return at + 2;
            }

            if (fields != 1)
            {
                throw new InvalidDataException($"the stored keys' COPY returned {fields} fields in a row, expected 1");
            }

            if (data.Length - at < 6)
            {
                break;
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(data[(at + 2)..]);
            if (length < 0)
            {
                throw new InvalidDataException("the stored keys' COPY returned a NULL key");
            }

            if (data.Length - at - 6 < length)
            {
                break;
            }

            var key = data.Slice(at + 6, length);
            if (!(key.StartsWith(EscapeMarker) ? VisitEscaped(key, visit) : visit(key)))
            {
                state.Outcome = false;
                return at + 6 + length;
            }

            at += 6 + length;
        }

        return at;
    }

    /// <summary>The UTF-8 of U+FFFF, which starts a key <see cref="StoredText"/> escaped.</summary>
    private static ReadOnlySpan<byte> EscapeMarker => "\uffff"u8;

    /// <summary>
    /// A key stored escaped is handed on as the key itself (rare: one a PostgreSQL table cannot hold, so never a key the
    /// diff holds as a value; a lone surrogate in it comes out as U+FFFD, which no integer or uuid holds either).
    /// </summary>
    private static bool VisitEscaped(ReadOnlySpan<byte> stored, StoredKeyVisitor visit) =>
        visit(Encoding.UTF8.GetBytes(StoredText.Read(Encoding.UTF8.GetString(stored))));
}
