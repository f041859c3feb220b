using System.Text.Json;
using Sluice.Salesforce.Destination;

namespace Sluice.Salesforce.Bulk;

/// <summary>
/// A record's Bulk API 2.0 CSV cells, column by column (a parent by external id as <c>Account.External_Id__c</c>,
/// <c>#N/A</c> for null), made by <c>Encode</c> from the same values as the JSON payload and kept as the record's
/// <c>Prepared</c> form, so a Bulk upload never parses the JSON back.
/// </summary>
internal sealed class BulkRecord((string Column, string Text)[] cells)
{
    public (string Column, string Text)[] Cells { get; } = cells;

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
