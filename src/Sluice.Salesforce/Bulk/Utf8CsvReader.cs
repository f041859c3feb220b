using System.Buffers;
using System.Text;

namespace Sluice.Salesforce.Bulk;

/// <summary>
/// Reads RFC 4180 CSV as Bulk API 2.0 writes its query results, straight from the response's UTF-8 bytes, one row at
/// a time: a row is a set of cell ranges over the reader's buffer, valid until the next <see cref="ReadAsync"/>. A
/// cell becomes a string only when asked for (<see cref="GetString"/>); numbers and dates are parsed from its bytes
/// (<see cref="TryGetSpan"/>). Reads what <see cref="CsvRows.ReadAsync"/> reads, cell for cell (a property test holds
/// them together), without a string per cell, a <c>StringBuilder</c> append per character or an array per row:
/// a load of 200,000 records spent more of its CPU there than anywhere else.
/// </summary>
/// <remarks>
/// The delimiters (<c>, " CR LF</c>) are ASCII, and no byte of a multi-byte UTF-8 sequence is ASCII, so the bytes are
/// split without decoding them; a cell is decoded only once its row is whole in the buffer, so a character split
/// across two reads of the stream is whole by then.
/// </remarks>
internal sealed class Utf8CsvReader : IDisposable
{
    private const int SimpleCell = 0;
    private const int QuotedCell = 1;
    private const int QuotedCellWithQuotes = 2;
    private const int OddCell = 3;

    private static readonly SearchValues<byte> Unquoted = SearchValues.Create(",\"\r\n"u8);
    private static readonly SearchValues<byte> Line = SearchValues.Create("\r\n"u8);

    private readonly Stream _stream;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _eof;
    private bool _begun;
    private Cell[] _cells = new Cell[16];
    private int _count;

    /// <summary>A reader of <paramref name="stream"/>, which it does not dispose.</summary>
    public Utf8CsvReader(Stream stream, int bufferSize = 64 * 1024)
    {
        _stream = stream;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bufferSize, 16));
    }

    /// <summary>The current row's number of cells.</summary>
    public int Count => _count;

    /// <summary>Reads the next row; false at the end of the stream.</summary>
    public ValueTask<bool> ReadAsync(CancellationToken ct)
    {
        if (_begun && TryParseRow())
        {
            return ValueTask.FromResult(true);
        }

        return ReadMoreAsync(ct);
    }

    /// <summary>Whether the cell is empty (Bulk API 2.0 writes null as an empty cell, and has no empty text).</summary>
    public bool IsEmpty(int cell) => _cells[cell].Length == 0;

    /// <summary>The cell's bytes when they are its text as they stand (no quotes to undouble); false otherwise.</summary>
    public bool TryGetSpan(int cell, out ReadOnlySpan<byte> bytes)
    {
        var c = _cells[cell];
        if (c.Kind is SimpleCell or QuotedCell)
        {
            bytes = _buffer.AsSpan(c.Start, c.Length);
            return true;
        }

        bytes = default;
        return false;
    }

    /// <summary>The cell's text.</summary>
    public string GetString(int cell)
    {
        var c = _cells[cell];
        var bytes = _buffer.AsSpan(c.Start, c.Length);
        return c.Kind switch
        {
            SimpleCell or QuotedCell => c.Length == 0 ? "" : Encoding.UTF8.GetString(bytes),
            QuotedCellWithQuotes => Encoding.UTF8.GetString(bytes).Replace("\"\"", "\"", StringComparison.Ordinal),
            _ => Odd(bytes),
        };
    }

    /// <summary>The row's cells as text.</summary>
    public string[] ToArray()
    {
        var row = new string[_count];
        for (var i = 0; i < row.Length; i++)
        {
            row[i] = GetString(i);
        }

        return row;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask<bool> ReadMoreAsync(CancellationToken ct)
    {
        while (true)
        {
            if (_begun && TryParseRow())
            {
                return true;
            }

            if (_eof)
            {
                return false;
            }

            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                // One row longer than the buffer (a long text field): the buffer grows to hold it whole.
                var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
                _buffer.AsSpan(0, _end).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), ct);
            _end += read;
            _eof = read == 0;
            if (!_begun)
            {
                // A byte order mark is not part of the first cell (StreamReader drops it too).
                if (_end < 3 && !_eof)
                {
                    continue;
                }

                _begun = true;
                if (_buffer.AsSpan(0, _end).StartsWith("\uFEFF"u8))
                {
                    _start = 3;
                }
            }
        }
    }

    /// <summary>
    /// Parses the row at <see cref="_start"/> when it is whole in the buffer (or the stream has ended), and moves past it.
    /// A row the buffer holds only part of is parsed again from its start once more has been read.
    /// </summary>
    private bool TryParseRow()
    {
        var data = _buffer.AsSpan(0, _end);
        var pos = _start;
        if (pos == _end || (_eof && data[pos..].IndexOfAnyExcept((byte)'\r') < 0))
        {
            // At the end only carriage returns remain, which are no row (CsvRows skips every CR outside quotes).
            _start = _end;
            return false;
        }

        _count = 0;
        while (true)
        {
            var cellStart = pos;
            var kind = SimpleCell;
            while (true)
            {
                var at = data[pos..].IndexOfAny(Unquoted);
                if (at < 0)
                {
                    if (!_eof)
                    {
                        return false;
                    }

                    Add(cellStart, _end, kind);
                    _start = _end;
                    return true;
                }

                pos += at;
                switch (data[pos])
                {
                    case (byte)',':
                        Add(cellStart, pos, kind);
                        pos++;
                        goto NextCell;
                    case (byte)'\n':
                        Add(cellStart, pos, kind);
                        _start = pos + 1;
                        return true;
                    case (byte)'\r':
                        if (pos + 1 == _end && !_eof)
                        {
                            return false;
                        }

                        if (pos + 1 < _end && data[pos + 1] == (byte)'\n')
                        {
                            Add(cellStart, pos, kind);
                            _start = pos + 2;
                            return true;
                        }

                        // A carriage return inside an unquoted cell: dropped, as CsvRows drops it.
                        kind = OddCell;
                        pos++;
                        break;
                    default:
                        // A quote: to the quote that closes it, past doubled quotes.
                        kind = pos == cellStart ? QuotedCell : OddCell;
                        pos++;
                        while (true)
                        {
                            var close = data[pos..].IndexOf((byte)'"');
                            if (close < 0)
                            {
                                if (!_eof)
                                {
                                    return false;
                                }

                                Add(cellStart, _end, OddCell);
                                _start = _end;
                                return true;
                            }

                            pos += close + 1;
                            if (pos == _end && !_eof)
                            {
                                // Whether the quote is doubled is in the next read.
                                return false;
                            }

                            if (pos < _end && data[pos] == (byte)'"')
                            {
                                kind = kind == QuotedCell ? QuotedCellWithQuotes : kind;
                                pos++;
                                continue;
                            }

                            break;
                        }

                        // A quoted cell ends at its closing quote; anything after it before the delimiter makes it odd.
                        if (kind != OddCell && pos < _end && data[pos] is not ((byte)',' or (byte)'\n')
                            && !(data[pos] == (byte)'\r' && pos + 1 < _end && data[pos + 1] == (byte)'\n'))
                        {
                            if (data[pos] == (byte)'\r' && pos + 1 == _end && !_eof)
                            {
                                return false;
                            }

                            kind = OddCell;
                        }

                        break;
                }
            }

        NextCell:;
        }
    }

    private void Add(int start, int end, int kind)
    {
        if (_count == _cells.Length)
        {
            Array.Resize(ref _cells, _cells.Length * 2);
        }

        _cells[_count++] = kind is QuotedCell or QuotedCellWithQuotes
            ? new Cell(start + 1, end - start - 2, kind)
            : new Cell(start, end - start, kind);
    }

    /// <summary>
    /// A cell with quotes inside it or carriage returns outside them, read as <see cref="CsvRows"/> reads it: a quote
    /// opens or closes quoting, <c>""</c> inside quotes is a quote, a CR outside quotes is dropped.
    /// </summary>
    private static string Odd(ReadOnlySpan<byte> raw)
    {
        var text = new byte[raw.Length];
        var length = 0;
        var quoted = false;
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (quoted)
            {
                if (b != (byte)'"')
                {
                    text[length++] = b;
                }
                else if (i + 1 < raw.Length && raw[i + 1] == (byte)'"')
                {
                    text[length++] = b;
                    i++;
                }
                else
                {
                    quoted = false;
                }
            }
            else if (b == (byte)'"')
            {
                quoted = true;
            }
            else if (b != (byte)'\r')
            {
                text[length++] = b;
            }
        }

        return Encoding.UTF8.GetString(text, 0, length);
    }

    private readonly record struct Cell(int Start, int Length, int Kind);
}
