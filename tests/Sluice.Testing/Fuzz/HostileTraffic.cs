using System.Net.Http.Headers;
using System.Text;

namespace Sluice.Testing.Fuzz;

/// <summary>
/// Sends <see cref="HostileRequest"/>s to an ingest API one after another and sorts the answers: which calls were
/// accepted (200), how many were refused (4xx), and every answer that broke the rule "never a 5xx".
/// </summary>
public static class HostileTraffic
{
    public static async Task<HostileTrafficResult> SendAsync(HttpClient http, Uri api, string writeKey, IEnumerable<HostileRequest> requests, CancellationToken ct = default)
    {
        var auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        var accepted = new List<HostileCall>();
        var serverErrors = new List<string>();
        var refused = 0;
        var sent = 0;
        foreach (var request in requests)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(api, request.Path))
            {
                Content = new ByteArrayContent(request.Body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            };
            message.Headers.Authorization = auth;
            using var answer = await http.SendAsync(message, ct);
            var body = await answer.Content.ReadAsStringAsync(ct);
            var status = (int)answer.StatusCode;
            sent++;
            if (status == 200)
            {
                accepted.AddRange(request.Calls);
            }
            else if (status is >= 400 and < 500 && body.Length > 0)
            {
                refused++;
            }
            else
            {
                // A 5xx, or a 4xx with no reason: both leave the client with nothing to fix.
                serverErrors.Add($"{status} '{body}' for {request.Describe()}");
            }
        }

        return new HostileTrafficResult(sent, accepted, refused, serverErrors);
    }
}
