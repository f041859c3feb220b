using System.Text.Json;
using Sluice.Core.Connectors;

namespace Sluice.Salesforce.Destination;

public sealed partial class SalesforceDestination : ICurrentRecords
{
    /// <summary>
    /// What the org holds now for records by Id (a two-way pair's look at the other side before it writes):
    /// <c>SELECT Id, fields…, LastModifiedDate FROM Object WHERE Id IN (…)</c>, one query per ≤ 200 Ids. A deleted
    /// record is not returned (<c>query</c>, not <c>queryAll</c>).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, CurrentRecord>> ReadCurrentAsync(
        IReadOnlyCollection<string> ids, IReadOnlyList<string> fields, string modifiedField, CancellationToken ct)
    {
        var found = new Dictionary<string, CurrentRecord>(StringComparer.Ordinal);
        var select = string.Join(", ", new[] { "Id" }.Concat(fields).Append(modifiedField).Distinct(StringComparer.OrdinalIgnoreCase));
        foreach (var chunk in ids.Chunk(CollectionSize))
        {
            string? next = "query?q=" + Uri.EscapeDataString($"SELECT {select} FROM {ObjectName} WHERE Id IN ({string.Join(",", chunk.Select(Quote))})");
            while (next is not null)
            {
                using var page = await _client.GetJsonAsync(next, ct);
                foreach (var record in page.RootElement.GetProperty("records").EnumerateArray())
                {
                    var values = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var field in fields)
                    {
                        values[field] = record.TryGetProperty(field, out var value) ? Plain(value) : null;
                    }

                    var modified = record.TryGetProperty(modifiedField, out var stamp) && stamp.ValueKind == JsonValueKind.String
                        ? Core.Engine.TwoWay.TwoWayValues.ParseTime(stamp.GetString()!)
                        : null;
                    found[record.GetProperty("Id").GetString()!] = new CurrentRecord(values, modified);
                }

                next = page.RootElement.TryGetProperty("nextRecordsUrl", out var url) && url.ValueKind == JsonValueKind.String ? url.GetString() : null;
            }
        }

        return found;
    }

    private static object? Plain(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetDecimal(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
