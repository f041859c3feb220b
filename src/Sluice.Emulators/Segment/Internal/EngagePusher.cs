using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sluice.Core.Errors;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>
/// Pushes Engage-shaped deliveries to a webhook, one call per request as Segment's webhook destinations send them,
/// signed the way Segment signs them: <c>X-Signature</c> = hex HMAC-SHA1 of the body with the shared secret
/// (segment.com/docs/connections/destinations/catalog/actions-webhook, "Shared Secret").
/// </summary>
internal sealed class EngagePusher(Uri? webhook, string? secret, string spaceId, TimeProvider time)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task<IReadOnlyList<int>> PushAsync(IReadOnlyList<EngagePush> pushes, CancellationToken ct)
    {
        if (webhook is null)
        {
            throw SluiceException.Config("The Segment emulator has no Engage webhook to push to; start it with --engage-webhook URL.");
        }

        var statuses = new List<int>();
        foreach (var push in pushes)
        {
            var body = Body(push);
            for (var i = 0; i < Math.Max(1, push.Times); i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, webhook) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.UserAgent.ParseAdd("Segment.io/1.0");
                if (secret is not null)
                {
#pragma warning disable CA5350 // Segment's algorithm, imitated.
                    request.Headers.Add("X-Signature", Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), body)));
#pragma warning restore CA5350
                }

                using var response = await Http.SendAsync(request, ct);
                statuses.Add((int)response.StatusCode);
            }
        }

        return statuses;
    }

    /// <summary>The call, as reference/segment.md §3 describes Engage's identify and track deliveries.</summary>
    public byte[] Body(EngagePush push)
    {
        var audience = push.Kind is "entered" or "exited";
        if (!audience && push.Kind != "trait")
        {
            throw SluiceException.Config($"Unknown Engage push kind \"{push.Kind}\"; use entered, exited or trait.");
        }

        var stamp = push.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var messageId = push.MessageId ?? $"engage-{push.Kind}-{push.UserId}-{push.Key}-{push.Timestamp.UtcTicks}";
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("type", push.As);
            json.WriteString("messageId", messageId);
            json.WriteString("userId", push.UserId);
            json.WriteString("timestamp", stamp);
            json.WriteString("sentAt", time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WritePropertyName("context");
            json.WriteStartObject();
            json.WritePropertyName("personas");
            json.WriteStartObject();
            json.WriteString("computation_class", audience ? "audience" : "trait");
            json.WriteString("computation_id", (audience ? "aud_" : "tra_") + push.Key);
            json.WriteString("computation_key", push.Key);
            json.WriteString("namespace", spaceId);
            json.WriteString("space_id", spaceId);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WritePropertyName("integrations");
            json.WriteStartObject();
            json.WriteBoolean("All", false);
            json.WriteBoolean("Webhooks", true);
            json.WriteEndObject();
            if (push.As == "track")
            {
                json.WriteString("event", push.Kind switch { "entered" => "Audience Entered", "exited" => "Audience Exited", _ => "Trait Computed" });
                json.WritePropertyName("properties");
                json.WriteStartObject();
                json.WriteString(audience ? "audience_key" : "trait_key", push.Key);
                WriteValue(json, push, audience);
                json.WriteEndObject();
            }
            else
            {
                json.WritePropertyName("traits");
                json.WriteStartObject();
                WriteValue(json, push, audience);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static void WriteValue(Utf8JsonWriter json, EngagePush push, bool audience)
    {
        json.WritePropertyName(push.Key);
        if (audience)
        {
            json.WriteBooleanValue(push.Kind == "entered");
        }
        else if (push.Value is { } value)
        {
            value.WriteTo(json);
        }
        else
        {
            json.WriteNullValue();
        }
    }
}
