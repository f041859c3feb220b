using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Errors;
using Sluice.Segment.Destination;

namespace Sluice.Server.Alerts;

/// <summary>
/// Sends an alert's Track to its Segment connection (<c>POST {endpoint}/v1/batch</c>, the write key as Basic auth), under
/// the crossing's message id: a retry after a failure is a duplicate Segment drops (it dedupes on <c>messageId</c>).
/// Each send first takes a permit from the connection's rate budget (<paramref name="gateOf"/>, the
/// <see cref="DeliveryGate"/> its syncs send through), so alerts and syncs share one budget and one pause: a 429 an
/// alert gets pauses the syncs too, and a pause a sync got holds the alert.
/// </summary>
internal sealed class AlertSender(HttpClient http, TimeProvider time, Func<ConnectionConfig, DeliveryGate> gateOf)
{
    public async Task SendAsync(AlertOptions alert, string crossed, int crossing, double value, string messageId, CancellationToken ct)
    {
        var segment = SegmentConnectionOptions.Bind(alert.Destination);
        var gate = gateOf(alert.Destination);
        await gate.WaitAsync(1, DeliveryLane.Live, ct);
        var body = Body(alert, crossed, crossing, value, messageId);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(segment.Endpoint, "v1/batch")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(segment.WriteKey.Reveal() + ":")));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw SluiceException.Transient($"alert '{alert.Name}': Segment connection '{alert.Destination.Name}' could not be reached ({e.Message}); the event is sent again at the next evaluation", e);
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                // Segment's 429 is for the whole write key: every sender to the connection waits it out.
                var wait = response.Headers.RetryAfter?.Delta ?? (response.Headers.RetryAfter?.Date - time.GetUtcNow()) ?? TimeSpan.FromSeconds(1);
                gate.PauseUntil(time.GetUtcNow() + (wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1)));
            }

            if (!response.IsSuccessStatusCode)
            {
                throw SluiceException.Transient(string.Create(CultureInfo.InvariantCulture,
                    $"alert '{alert.Name}': Segment connection '{alert.Destination.Name}' answered {(int)response.StatusCode}; the event is sent again at the next evaluation, under the same messageId"));
            }
        }
    }

    internal byte[] Body(AlertOptions alert, string crossed, int crossing, double value, string messageId)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WritePropertyName("batch");
            json.WriteStartArray();
            json.WriteStartObject();
            json.WriteString("type", "track");
            json.WriteString("messageId", messageId);
            json.WriteString("event", alert.Event);
            if (alert.UserId is { } user)
            {
                json.WriteString("userId", user);
            }
            else
            {
                json.WriteString("anonymousId", alert.AnonymousId);
            }

            json.WriteString("timestamp", time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WritePropertyName("properties");
            json.WriteStartObject();
            foreach (var (key, text) in alert.Properties)
            {
                json.WriteString(key, text);
            }

            // Sluice's own properties win over configured ones of the same name: they say what happened.
            json.WriteString("alert", alert.Name);
            json.WriteString("state", crossed == AlertStep.Fired ? AlertStep.Firing : AlertStep.Ok);
            json.WriteString("transition", crossed);
            json.WriteNumber("value", value);
            json.WriteNumber("threshold", alert.Threshold);
            json.WriteString("direction", alert.Direction == AlertDirection.Above ? "above" : "below");
            json.WriteNumber("clear_at", alert.ClearAt);
            json.WriteNumber("crossing", crossing);
            json.WriteEndObject();
            json.WritePropertyName("context");
            json.WriteStartObject();
            json.WritePropertyName("library");
            json.WriteStartObject();
            json.WriteString("name", "sluice");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return stream.ToArray();
    }
}
