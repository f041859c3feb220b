using System.Buffers;
using System.Text;

namespace Sluice.Salesforce.Bulk;

/// <summary>
/// Writes a Bulk upload's CSV as UTF-8 straight into a pooled buffer, cell by cell, and hands it on a piece at a time
/// (<see cref="TakePiece"/>). An upload of 100,000 rows used to go through a <c>StringBuilder</c>, a string of each
/// 64 KB piece (on the large-object heap) and its bytes: three copies of every byte and a garbage collection of the
/// whole heap every few pieces, while the batch's records were all still alive.
/// </summary>
internal sealed class CsvUtf8Writer : IDisposable
{
    private static readonly SearchValues<char> Special = SearchValues.Create(",\"\r\n");

    private byte[] _buffer;
    private int _length;

    public CsvUtf8Writer(int capacity) => _buffer = ArrayPool<byte>.Shared.Rent(capacity);

    /// <summary>The bytes written since the last piece was taken.</summary>
    public int Length => _length;

    /// <summary>One CSV field: quoted (a quote doubled) when it holds a comma, a quote or a line break.</summary>
    public void WriteCell(string value)
    {
        var text = value.AsSpan();
        if (!NeedsQuotes(text))
        {
            WriteText(text);
            return;
        }

        WriteByte((byte)'"');
        int quote;
        while ((quote = text.IndexOf('"')) >= 0)
        {
            WriteText(text[..(quote + 1)]);
            WriteByte((byte)'"');
            text = text[(quote + 1)..];
        }

        WriteText(text);
        WriteByte((byte)'"');
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    /// <summary>The bytes written so far, as a pooled array (return it with <see cref="Return"/>), and an empty buffer for what follows.</summary>
    public (byte[] Array, int Length) TakePiece()
    {
        var piece = (_buffer, _length);
        _buffer = ArrayPool<byte>.Shared.Rent(piece._buffer.Length);
        _length = 0;
        return piece;
    }

    /// <summary>Gives a piece's array back to the pool once it was sent.</summary>
    public static void Return(byte[] piece) => ArrayPool<byte>.Shared.Return(piece);

    /// <summary>Drops what was written and not taken.</summary>
    public void Clear() => _length = 0;

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>Whether a field must be quoted: it holds a comma, a quote or a line break.</summary>
    public static bool NeedsQuotes(ReadOnlySpan<char> value) => value.IndexOfAny(Special) >= 0;

    private void WriteText(ReadOnlySpan<char> text)
    {
        Ensure(Encoding.UTF8.GetMaxByteCount(text.Length));
        _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
    }

    private void Ensure(int bytes)
    {
        if (_buffer.Length - _length >= bytes)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }
}
