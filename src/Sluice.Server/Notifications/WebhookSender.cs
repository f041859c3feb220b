using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sluice.Core.Errors;

namespace Sluice.Server.Notifications;

/// <summary>Posts a <see cref="HealthChange"/> to the <c>notify:</c> webhook in its format. Never shows the URL: it is the credential.</summary>
internal sealed class WebhookSender(HttpClient http, NotifyOptions options)
{
    public async Task SendAsync(HealthChange change, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Url.Reveal()) { Content = new ByteArrayContent(Body(change, options.Format)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw SluiceException.Transient($"notify: the webhook could not be reached ({e.HttpRequestError}); sent again at the next check", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw SluiceException.Transient("notify: the webhook did not answer in time; sent again at the next check", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw SluiceException.Transient(string.Create(CultureInfo.InvariantCulture, $"notify: the webhook answered {(int)response.StatusCode}; sent again at the next check"));
            }
        }
    }

    internal static byte[] Body(HealthChange change, NotifyFormat format)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            if (format == NotifyFormat.Slack)
            {
                json.WriteString("text", Text(change));
            }
            else
            {
                json.WriteString("sync", change.Sync);
                json.WriteString("state", change.Reasons.Count == 0 ? "ok" : "needs_attention");
                json.WriteString("transition", change.Transition);
                json.WriteStartArray("reasons");
                foreach (var reason in change.Reasons)
                {
                    json.WriteStartObject();
                    json.WriteString("kind", reason.Kind);
                    json.WriteString("text", reason.Text);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteStartArray("previous");
                foreach (var kind in change.Previous)
                {
                    json.WriteStringValue(kind);
                }

                json.WriteEndArray();
                json.WriteString("at", change.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                json.WriteString("text", Text(change));
            }

            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>One message a person reads: what happened to which sync, and each reason on its own line.</summary>
    internal static string Text(HealthChange change)
    {
        var text = new StringBuilder();
        switch (change.Transition)
        {
            case "recovered":
                text.Append("✓ Sluice: sync '").Append(change.Sync).Append("' recovered (it needed attention for: ").Append(string.Join(", ", change.Previous)).Append(')');
                break;
            case "needs_attention":
                text.Append("✗ Sluice: sync '").Append(change.Sync).Append("' needs attention");
                break;
            default:
                text.Append("✗ Sluice: sync '").Append(change.Sync).Append("' still needs attention, now for other reasons");
                break;
        }

        foreach (var reason in change.Reasons)
        {
            text.Append("\n• ").Append(reason.Text);
        }

        return text.ToString();
    }
}
