using System.Text;

namespace Sluice.Salesforce.Bulk;

/// <summary>
/// One upload's rows: one column per field any record sets, an empty cell where a record sets none (Bulk API 2.0
/// leaves that field as it is). Knows the CSV's size as rows are added, so a batch can be split into uploads under
/// Salesforce's limit, and writes the CSV straight onto the request stream.
/// </summary>
internal sealed class BulkRows
{
    private readonly Dictionary<string, int> _columns = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    // The CSV goes onto the request stream in pieces of about this many bytes.
    private const int PieceBytes = 64 * 1024;

    // A row is the record's own cells when they name exactly the columns, in order (every record of one mapping: no copy
    // per row that would live as long as the batch), else its texts laid out by column (null where it sets none).
    private readonly List<object> _rows = [];

    public IReadOnlyList<string> Columns => _names;

    public int Count => _rows.Count;

    /// <summary>The CSV's size so far in UTF-8 bytes, header included; exact but for the separators of columns added after a row.</summary>
    public long Bytes { get; private set; }

    /// <summary>Adds a record from its JSON payload, plus any leading cells (an <c>Id</c>).</summary>
    public void Add(ReadOnlyMemory<byte> payload, IEnumerable<(string Column, string Value)>? extra = null)
    {
        var cells = BulkRecord.FromPayload(payload).Cells;
        TryAdd(new BulkRecord([.. extra ?? [], .. cells]), id: null, keep: null, long.MaxValue);
    }

    /// <summary>
    /// Adds the record's cells (with <paramref name="id"/> as an <c>Id</c> cell, and only the columns
    /// <paramref name="keep"/> accepts) unless the rows hold some already and the CSV would grow past
    /// <paramref name="maxBytes"/>.
    /// </summary>
    public bool TryAdd(BulkRecord record, string? id, Func<string, bool>? keep, long maxBytes)
    {
        if (id is null && keep is null && HasTheColumns(record))
        {
            return TryAddInOrder(record, maxBytes);
        }

        var added = 0;
        var columnsBefore = _names.Count;
        var bytes = 0L;
        Span<int> indexes = record.Cells.Length + 1 <= 64 ? stackalloc int[record.Cells.Length + 1] : new int[record.Cells.Length + 1];
        if (id is not null)
        {
            indexes[added++] = ColumnOf("Id");
            bytes += CsvBytes(id);
        }

        foreach (var (column, text) in record.Cells)
        {
            if (keep is null || keep(column))
            {
                indexes[added++] = ColumnOf(column);
                bytes += CsvBytes(text);
            }
        }

        // Each row ends in a separator or line break per column; a new column costs the header its name too.
        var header = 0L;
        for (var c = columnsBefore; c < _names.Count; c++)
        {
            header += CsvBytes(_names[c]) + 1;
        }

        var total = bytes + _names.Count + header;
        if (_rows.Count > 0 && Bytes + total > maxBytes)
        {
            for (var c = _names.Count - 1; c >= columnsBefore; c--)
            {
                _columns.Remove(_names[c]);
                _names.RemoveAt(c);
            }

            return false;
        }

        var row = new string?[_names.Count];
        var at = 0;
        if (id is not null)
        {
            row[indexes[at++]] = id;
        }

        foreach (var (column, text) in record.Cells)
        {
            if (keep is null || keep(column))
            {
                row[indexes[at++]] = text;
            }
        }

        _rows.Add(row);
        Bytes += total;
        return true;
    }

    /// <summary>
    /// Whether the record sets exactly the columns, in their order, by the very strings the columns were named by: the
    /// records of one mapping do (the encoder names a field by its describe's string), so their cells need no lookup.
    /// </summary>
    private bool HasTheColumns(BulkRecord record)
    {
        var cells = record.Cells;
        if (cells.Length != _names.Count)
        {
            return false;
        }

        for (var c = 0; c < cells.Length; c++)
        {
            if (!ReferenceEquals(cells[c].Column, _names[c]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><see cref="TryAdd"/> for a record that <see cref="HasTheColumns"/>: the same size, its cells kept as the row, no column looked up.</summary>
    private bool TryAddInOrder(BulkRecord record, long maxBytes)
    {
        var cells = record.Cells;
        var bytes = 0L;
        for (var c = 0; c < cells.Length; c++)
        {
            bytes += CsvBytes(cells[c].Text);
        }

        var total = bytes + _names.Count;
        if (_rows.Count > 0 && Bytes + total > maxBytes)
        {
            return false;
        }

        _rows.Add(cells);
        Bytes += total;
        return true;
    }

    /// <summary>The row's cell in column <paramref name="column"/> as the results CSVs echo it: empty where the row sets none.</summary>
    public string Cell(int row, int column) => Text(_rows[row], column) ?? "";

    /// <summary>A row's text in a column; null where it sets none (a column added after it, or one its record does not set).</summary>
    private static string? Text(object row, int column)
    {
        if (row is (string Column, string Text)[] cells)
        {
            return column < cells.Length ? cells[column].Text : null;
        }

        var texts = (string?[])row;
        return column < texts.Length ? texts[column] : null;
    }

    public async Task WriteCsvAsync(Stream stream, CancellationToken ct)
    {
        using var writer = new CsvUtf8Writer(PieceBytes + 4096);
        WriteHeader(writer);
        for (var i = 0; i < _rows.Count; i++)
        {
            WriteRow(writer, i);
            if (writer.Length >= PieceBytes)
            {
                await WritePieceAsync(stream, writer, ct);
            }
        }

        await WritePieceAsync(stream, writer, ct);
    }

    /// <summary>The CSV's header line: the columns as they stand now.</summary>
    public void WriteHeader(CsvUtf8Writer writer)
    {
        for (var c = 0; c < _names.Count; c++)
        {
            if (c > 0)
            {
                writer.WriteByte((byte)',');
            }

            writer.WriteCell(_names[c]);
        }

        writer.WriteByte((byte)'\n');
    }

    /// <summary>Row <paramref name="index"/>'s CSV line, an empty cell for each column it does not set.</summary>
    public void WriteRow(CsvUtf8Writer writer, int index)
    {
        var row = _rows[index];
        for (var c = 0; c < _names.Count; c++)
        {
            if (c > 0)
            {
                writer.WriteByte((byte)',');
            }

            if (Text(row, c) is { } cell)
            {
                writer.WriteCell(cell);
            }
        }

        writer.WriteByte((byte)'\n');
    }

    private static async Task WritePieceAsync(Stream stream, CsvUtf8Writer writer, CancellationToken ct)
    {
        var (piece, length) = writer.TakePiece();
        try
        {
            await stream.WriteAsync(piece.AsMemory(0, length), ct);
        }
        finally
        {
            CsvUtf8Writer.Return(piece);
        }
    }

    /// <summary>A cell's size in the CSV: its UTF-8 bytes, plus the quotes around it and the doubled quotes in it when it needs them.</summary>
    private static long CsvBytes(string cell)
    {
        long bytes = Encoding.UTF8.GetByteCount(cell);
        return CsvUtf8Writer.NeedsQuotes(cell) ? bytes + 2 + cell.AsSpan().Count('"') : bytes;
    }

    private int ColumnOf(string name)
    {
        if (!_columns.TryGetValue(name, out var index))
        {
            index = _names.Count;
            _names.Add(name);
            _columns[name] = index;
        }

        return index;
    }
}
