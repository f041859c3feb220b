using System.Text.Json;

namespace Sluice.Salesforce.Connection;

/// <summary>One error Salesforce reported: <c>errorCode</c> (REST) or <c>statusCode</c> (collections, Bulk) and its message.</summary>
internal readonly record struct SalesforceApiError(string Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";

    /// <summary>Reads a REST error body (<c>[{"message","errorCode","fields"}]</c>); the plain text when it is not that shape.</summary>
    public static IReadOnlyList<SalesforceApiError> Parse(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var items = json.RootElement.ValueKind == JsonValueKind.Array ? json.RootElement.EnumerateArray().ToList() : [json.RootElement];
            var errors = items.Where(i => i.ValueKind == JsonValueKind.Object).Select(From).ToList();
            if (errors.Count > 0)
            {
                return errors;
            }
        }
        catch (JsonException)
        {
            // not JSON: the text is the message
        }

        return [new SalesforceApiError("UNKNOWN", body.Length > 500 ? body[..500] : body)];
    }

    public static SalesforceApiError From(JsonElement error)
    {
        var code = error.TryGetProperty("errorCode", out var c) ? c.GetString()
            : error.TryGetProperty("statusCode", out var s) ? s.GetString()
            : error.TryGetProperty("error", out var e) ? e.GetString() : null;
        var message = error.TryGetProperty("message", out var m) ? m.GetString()
            : error.TryGetProperty("error_description", out var d) ? d.GetString() : null;
        return new SalesforceApiError(code ?? "UNKNOWN", message ?? "");
    }
}
