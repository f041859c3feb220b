using System.Text.Json;

namespace Sluice.Salesforce.Bulk;

/// <summary>
/// A batch's records as Bulk API 2.0 CSV rows: one column per field any record sets (a parent by external id as
/// <c>Account.External_Id__c</c>), <c>#N/A</c> for null (an empty cell would leave the field as it is).
/// </summary>
internal sealed class BulkRows
{
    // Bulk API 2.0: "#N/A" sets a field to null; an empty value is ignored.
    private const string Null = "#N/A";

    private readonly Dictionary<string, int> _columns = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private readonly List<(int Column, string Value)[]> _rows = [];

    public IReadOnlyList<string> Columns => _names;

    public int Count => _rows.Count;

    /// <summary>Adds a record from its JSON payload (an object of field → value), plus any leading cells (an <c>Id</c>).</summary>
    public void Add(ReadOnlyMemory<byte> payload, IEnumerable<(string Column, string Value)>? extra = null)
    {
        using var json = JsonDocument.Parse(payload);
        var cells = new List<(int, string)>();
        foreach (var (column, value) in extra ?? [])
        {
            cells.Add((ColumnOf(column), value));
        }

        foreach (var property in json.RootElement.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                foreach (var inner in property.Value.EnumerateObject())
                {
                    cells.Add((ColumnOf(property.Name + "." + inner.Name), Text(inner.Value)));
                }
            }
            else
            {
                cells.Add((ColumnOf(property.Name), Text(property.Value)));
            }
        }

        _rows.Add([.. cells]);
    }

    /// <summary>The row's cells in column order, as the results CSVs echo them.</summary>
    public string[] Row(int index)
    {
        var row = new string[_names.Count];
        Array.Fill(row, "");
        foreach (var (column, value) in _rows[index])
        {
            row[column] = value;
        }

        return row;
    }

    public async Task WriteCsvAsync(Stream stream, CancellationToken ct)
    {
        await using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };
        WriteLine(writer, _names);
        for (var i = 0; i < _rows.Count; i++)
        {
            WriteLine(writer, Row(i));
            if (i % 4096 == 4095)
            {
                await writer.FlushAsync(ct);
            }
        }

        await writer.FlushAsync(ct);
    }

    private static void WriteLine(TextWriter writer, IReadOnlyList<string> cells)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0)
            {
                writer.Write(',');
            }

            CsvRows.Write(writer, cells[i]);
        }

        writer.Write('\n');
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

    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => Null,
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetRawText(),
    };
}
