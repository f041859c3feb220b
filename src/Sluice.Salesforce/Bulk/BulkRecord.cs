using System.Text.Json;
using Sluice.Salesforce.Destination;

namespace Sluice.Salesforce.Bulk;

/// <summary>
/// A record's Bulk API 2.0 CSV cells, column by column (a parent by external id as <c>Account.External_Id__c</c>,
/// <c>#N/A</c> for null), made by <c>Encode</c> from the same values as the JSON payload and kept as the record's
/// <c>Prepared</c> form, so a Bulk upload never parses the JSON back.
/// </summary>
internal sealed class BulkRecord
{
    // What each cell is in the JSON payload, two bits a cell, for records of at most 32 cells; null when unknown (a
    // record rebuilt from its payload, which it has).
    private readonly ulong _kinds;
    private readonly bool _hasKinds;

    public BulkRecord((string Column, string Text)[] cells) => Cells = cells;

    /// <summary>Cells whose JSON payload can be written again from them (<see cref="WriteJson(Utf8JsonWriter)"/>): at most <see cref="MaxKindCells"/>.</summary>
    public BulkRecord((string Column, string Text)[] cells, ReadOnlySpan<BulkCellKind> kinds)
    {
        if (cells.Length > MaxKindCells || kinds.Length != cells.Length)
        {
            throw new ArgumentException($"a record's kinds are kept for at most {MaxKindCells} cells, one per cell", nameof(kinds));
        }

        Cells = cells;
        for (var i = 0; i < kinds.Length; i++)
        {
            _kinds |= (ulong)kinds[i] << (2 * i);
        }

        _hasKinds = true;
    }

    /// <summary>The most cells whose kinds a record keeps.</summary>
    public const int MaxKindCells = 32;

    public (string Column, string Text)[] Cells { get; }

    /// <summary>Whether <see cref="WriteJson(Utf8JsonWriter)"/> can write the record's payload.</summary>
    public bool HasKinds => _hasKinds;

    /// <summary>The record's JSON payload, written from its cells: the same bytes <c>Encode</c> writes for the same values.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        Span<BulkCellKind> kinds = stackalloc BulkCellKind[Cells.Length];
        for (var i = 0; i < kinds.Length; i++)
        {
            kinds[i] = (BulkCellKind)((_kinds >> (2 * i)) & 3);
        }

        WriteJson(writer, Cells, kinds);
    }

    /// <summary>
    /// A record's JSON payload from its cells and their kinds: each cell a property in cell order — a string, null, a number or
    /// boolean as its text, or a parent's object by external id.
    /// </summary>
    public static void WriteJson(Utf8JsonWriter writer, ReadOnlySpan<(string Column, string Text)> cells, ReadOnlySpan<BulkCellKind> kinds)
    {
        writer.WriteStartObject();
        for (var i = 0; i < cells.Length; i++)
        {
            var (column, text) = cells[i];
            switch (kinds[i])
            {
                case BulkCellKind.Null:
                    writer.WriteNull(column);
                    break;
                case BulkCellKind.Raw:
                    writer.WritePropertyName(column);
                    writer.WriteRawValue(text, skipInputValidation: true);
                    break;
                case BulkCellKind.Parent:
                    // Account.External_Id__c: API names hold no dot.
                    var dot = column.IndexOf('.', StringComparison.Ordinal);
                    writer.WritePropertyName(column.AsSpan(0, dot));
                    writer.WriteStartObject();
                    writer.WriteString(column.AsSpan(dot + 1), text);
                    writer.WriteEndObject();
                    break;
                default:
                    writer.WriteString(column, text);
                    break;
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// The cells from a JSON payload (an object of field → value): for a record rebuilt from its stored payload (a
    /// waiting record offered again), which has no prepared form.
    /// </summary>
    public static BulkRecord FromPayload(ReadOnlyMemory<byte> payload)
    {
        using var json = JsonDocument.Parse(payload);
        var cells = new List<(string, string)>();
        foreach (var property in json.RootElement.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                foreach (var inner in property.Value.EnumerateObject())
                {
                    cells.Add((property.Name + "." + inner.Name, Text(inner.Value)));
                }
            }
            else
            {
                cells.Add((property.Name, Text(property.Value)));
            }
        }

        return new BulkRecord([.. cells]);
    }

    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => SalesforceValue.CsvNull,
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetRawText(),
    };
}
