using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>Salesforce's top-level REST error: <c>[{"message": …, "errorCode": …}]</c> with the status.</summary>
internal static class SalesforceErrorBody
{
    public static async Task WriteAsync(HttpContext context, int status, string errorCode, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json;charset=UTF-8";
        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStartObject();
            writer.WriteString("message", message);
            writer.WriteString("errorCode", errorCode);
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        await context.Response.Body.WriteAsync(buffer.ToArray(), context.RequestAborted);
    }
}
