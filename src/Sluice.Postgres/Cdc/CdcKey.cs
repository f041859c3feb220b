using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// A row's record key from its key columns' texts: one column's text, or several as a JSON array of texts (the query
/// source's form), prefixed with the table when a sync follows several (their keys could collide).
/// </summary>
internal static class CdcKey
{
    private static readonly CdcKeyJson Json = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static string Format(IReadOnlyList<string?> parts, string? table) =>
        (table is null ? "" : table + ":") + (parts.Count == 1 ? parts[0] ?? "" : JsonSerializer.Serialize(parts, Json.Parts));
}
