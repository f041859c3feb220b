using System.Buffers;
using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sluice.Core.Records;

namespace Sluice.Core.Engine.Diffing;

/// <summary>
/// The fingerprint of a record: 16 bytes of SHA-256 over its values in a canonical binary form — each
/// column's name, then a type tag and the value's exact bits — so any change to a value that would be
/// sent changes it, and nothing else does (the order of the mapping's columns does not).
/// </summary>
/// <remarks>
/// 16 bytes make an accidental collision (a change missed) a 1-in-2^64 event even across billions of
/// records; SHA-256 rather than a faster non-cryptographic hash because it ships with .NET and, with
/// one reused context, costs well under a microsecond for a typical row. One instance per read: not thread-safe.
/// </remarks>
internal sealed class RecordFingerprint : IDisposable
{
    public const int Length = 16;

    private const byte FormatVersion = 1;

    private readonly (int Ordinal, byte[] Name)[] _columns;
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _digest = new byte[32];

    public RecordFingerprint(IReadOnlyList<string> columns)
    {
        _columns = columns.Select((name, ordinal) => (ordinal, Encoding.UTF8.GetBytes(name)))
            .OrderBy(c => columns[c.ordinal], StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>Computes the fingerprint of <paramref name="values"/> (aligned with the columns); see <see cref="Matches"/> and <see cref="ToArray"/>.</summary>
    public void Compute(object?[] values)
    {
        _buffer.ResetWrittenCount();
        WriteByte(FormatVersion);
        foreach (var (ordinal, name) in _columns)
        {
            WriteBytes(name);
            WriteValue(values[ordinal], depth: 0);
        }

        _hash.AppendData(_buffer.WrittenSpan);
        _hash.GetHashAndReset(_digest);
    }

    /// <summary>Whether the last computed fingerprint is <paramref name="stored"/>.</summary>
    public bool Matches(byte[] stored) => _digest.AsSpan(0, Length).SequenceEqual(stored);

    /// <summary>The last computed fingerprint, to keep.</summary>
    public byte[] ToArray() => _digest.AsSpan(0, Length).ToArray();

    public void Dispose() => _hash.Dispose();

    private void WriteValue(object? value, int depth)
    {
        switch (value)
        {
            case null:
                WriteByte(0);
                break;
            case string text:
                WriteByte(1);
                WriteString(text);
                break;
            case long or int or short or sbyte or byte or ushort or uint:
                WriteByte(2);
                WriteInt64(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong number:
                WriteByte(3);
                WriteInt64(unchecked((long)number));
                break;
            case decimal number:
                // The scale is kept (1.0 and 1.00 are sent differently, so they differ here too).
                WriteByte(4);
                Span<int> bits = stackalloc int[4];
                decimal.GetBits(number, bits);
                foreach (var part in bits)
                {
                    WriteInt64(part);
                }

                break;
            case double number:
                WriteByte(5);
                WriteInt64(BitConverter.DoubleToInt64Bits(number));
                break;
            case float number:
                WriteByte(5);
                WriteInt64(BitConverter.DoubleToInt64Bits(number));
                break;
            case bool flag:
                WriteByte(6);
                WriteByte(flag ? (byte)1 : (byte)0);
                break;
            case DateTime timestamp:
                WriteByte(7);
                WriteInt64(timestamp.Ticks);
                WriteByte((byte)timestamp.Kind);
                break;
            case DateTimeOffset timestamp:
                WriteByte(8);
                WriteInt64(timestamp.UtcTicks);
                WriteInt64(timestamp.Offset.Ticks);
                break;
            case DateOnly date:
                WriteByte(9);
                WriteInt64(date.DayNumber);
                break;
            case TimeOnly time:
                WriteByte(10);
                WriteInt64(time.Ticks);
                break;
            case TimeSpan span:
                WriteByte(11);
                WriteInt64(span.Ticks);
                break;
            case Guid id:
                WriteByte(12);
                id.TryWriteBytes(_buffer.GetSpan(16));
                _buffer.Advance(16);
                break;
            case byte[] bytes:
                WriteByte(13);
                WriteBytes(bytes);
                break;
            case UnreadableValue unreadable:
                WriteByte(14);
                WriteString(unreadable.Reason);
                break;
            case IDictionary dictionary when depth < 8:
                WriteByte(15);
                WriteInt64(dictionary.Count);
                foreach (DictionaryEntry entry in dictionary)
                {
                    WriteValue(entry.Key, depth + 1);
                    WriteValue(entry.Value, depth + 1);
                }

                break;
            case Array array when depth < 8:
                // Arrays (multi-dimensional ones too) by shape, then elements in storage order.
                WriteByte(16);
                WriteInt64(array.Rank);
                for (var d = 0; d < array.Rank; d++)
                {
                    WriteInt64(array.GetLength(d));
                }

                foreach (var item in array)
                {
                    WriteValue(item, depth + 1);
                }

                break;
            case IEnumerable items when depth < 8:
                WriteByte(17);
                foreach (var item in items)
                {
                    WriteByte(1);
                    WriteValue(item, depth + 1);
                }

                WriteByte(0);
                break;
            default:
                // Ranges, network addresses and other driver types: their type and invariant text are exact enough.
                WriteByte(18);
                WriteString(value.GetType().FullName ?? "");
                WriteString(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
                break;
        }
    }

    private void WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    private void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    /// <summary>Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.</summary>
    private void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteInt64(bytes.Length);
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
    }

    private void WriteString(string text)
    {
        var span = _buffer.GetSpan(8 + Encoding.UTF8.GetMaxByteCount(text.Length));
        var written = Encoding.UTF8.GetBytes(text, span[8..]);
        BinaryPrimitives.WriteInt64LittleEndian(span, written);
        _buffer.Advance(8 + written);
    }
}
