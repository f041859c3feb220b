using System.Buffers.Binary;
using Sluice.Core.Connectors;
using static Sluice.Postgres.BinaryCopyFields;

namespace Sluice.Postgres.Sources;

/// <summary>
/// Parses the unsorted key scan's binary COPY (<c>COPY (SELECT key, xmin, ctid …) TO STDOUT (FORMAT binary)</c>) straight
/// from the stream's bytes into <see cref="NativeKeySignal"/>s: no driver value, row or task per key.
/// </summary>
/// <remarks>
/// The format (PostgreSQL's "COPY", section "Binary Format"): an 11-byte signature, a 32-bit flags word and a 32-bit
/// header extension length with that many bytes; then per row a 16-bit field count (-1 ends the data) and per field a
/// 32-bit length (-1: NULL) and the value in its type's binary send format, big-endian: <c>int8</c> 8 bytes, <c>uuid</c>
/// 16, <c>xid</c> 4, <c>tid</c> 6 (block number 4, offset 2).
/// </remarks>
internal sealed class NativeKeyCopy(bool integer, QuerySourceSnapshot now, QuerySourceSnapshot since, string description)
{

    private readonly int _keyLength = integer ? 8 : 16;

    private bool _headerRead;

    /// <summary>Whether the end-of-data marker was read.</summary>
    public bool Ended { get; private set; }

    /// <summary>Adds every whole row in <paramref name="data"/> to <paramref name="page"/>; returns the bytes consumed.</summary>
    public int Parse(ReadOnlySpan<byte> data, List<NativeKeySignal> page)
    {
        var at = 0;
        if (!_headerRead)
        {
            if (data.Length < HeaderLength)
            {
                return 0;
            }

            if (!data[..Signature.Length].SequenceEqual(Signature))
            {
                throw new InvalidDataException($"{description}: the key scan's COPY did not start with the binary COPY signature");
            }

            var extension = BinaryPrimitives.ReadInt32BigEndian(data[15..]);
            if (data.Length < HeaderLength + extension)
            {
                return 0;
            }

            at = HeaderLength + extension;
            _headerRead = true;
        }

        var rowLength = 2 + 4 + _keyLength + 4 + 4 + 4 + 6;
        while (data.Length - at >= 2)
        {
            var fields = BinaryPrimitives.ReadInt16BigEndian(data[at..]);
            if (fields == -1)
            {
                Ended = true;
                return at + 2;
            }

            if (fields != 3)
            {
                throw new InvalidDataException($"{description}: the key scan's COPY returned {fields} fields in a row, expected 3");
            }

            if (data.Length - at >= 6 && BinaryPrimitives.ReadInt32BigEndian(data[(at + 2)..]) == -1)
            {
                throw Core.Errors.SluiceException.Fatal($"{description}: a row has no key; records need one: leave such rows out (e.g. WHERE key IS NOT NULL)");
            }

            if (data.Length - at < rowLength)
            {
                break;
            }

            var row = data.Slice(at, rowLength);
            if (BinaryPrimitives.ReadInt32BigEndian(row[2..]) != _keyLength
                || BinaryPrimitives.ReadInt32BigEndian(row[(6 + _keyLength)..]) != 4
                || BinaryPrimitives.ReadInt32BigEndian(row[(14 + _keyLength)..]) != 6)
            {
                throw new InvalidDataException($"{description}: the key scan's COPY returned a row of unexpected field lengths");
            }

            var key = integer ? unchecked((ulong)BinaryPrimitives.ReadInt64BigEndian(row[6..])) : BinaryPrimitives.ReadUInt128BigEndian(row[6..]);
            var xmin = BinaryPrimitives.ReadUInt32BigEndian(row[(10 + _keyLength)..]);
            var block = BinaryPrimitives.ReadUInt32BigEndian(row[(18 + _keyLength)..]);
            var offset = BinaryPrimitives.ReadUInt16BigEndian(row[(22 + _keyLength)..]);
            page.Add(new NativeKeySignal(key, now.WrittenBefore(xmin, since), ((long)block << 16) | offset));
            at += rowLength;
        }

        return at;
    }
}
