using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Sluice.Cli.Demo;

/// <summary>
/// What the demo application's website and backend would send to Sluice's ingest API: for some users, a page view, an
/// identify and a track call — through <c>POST /v1/batch</c> with the web source's write key, as Segment's libraries do.
/// </summary>
internal static class DemoTraffic
{
    public const string WriteKeyVariable = "WEB_WRITE_KEY";
    public const string DefaultWriteKey = "demo-web-key";

    private static readonly string[] Pages = ["/pricing", "/docs", "/blog/reverse-etl", "/signup", "/account/billing"];
    private static readonly string[] Products = ["Starter", "Team", "Business"];

    public static string WriteKey => Environment.GetEnvironmentVariable(WriteKeyVariable) is { Length: > 0 } key ? key : DefaultWriteKey;

    /// <summary>Sends three calls for each of <paramref name="users"/> random users; returns the calls sent (all acknowledged).</summary>
    public static async Task<DemoTrafficSent> SendAsync(Uri api, int users, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WriteKey + ":")));
        var batch = new List<object>();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < users; i++)
        {
            var userId = Random.Shared.Next(1, 10_000).ToString(CultureInfo.InvariantCulture);
            var context = new { library = new { name = "sluice-demo", version = "1.0" }, ip = "203.0.113.7" };
            var page = Pages[Random.Shared.Next(Pages.Length)];
            batch.Add(new { type = "page", messageId = Guid.NewGuid().ToString(), userId, name = page, properties = new { path = page }, context, timestamp = now });
            batch.Add(new { type = "identify", messageId = Guid.NewGuid().ToString(), userId, traits = new { last_page = page }, context, timestamp = now });
            batch.Add(new
            {
                type = "track",
                messageId = Guid.NewGuid().ToString(),
                userId,
                @event = "Product Viewed",
                properties = new { product = Products[Random.Shared.Next(Products.Length)], price = Random.Shared.Next(10, 500) },
                context,
                timestamp = now,
            });
        }

        // Segment's libraries send batches of at most 500 KB; 300 calls of this size are well under.
        foreach (var chunk in batch.Chunk(300))
        {
            using var body = new StringContent(JsonSerializer.Serialize(new { batch = chunk }), Encoding.UTF8, "application/json");
            using var answer = await http.PostAsync(new Uri("v1/batch", UriKind.Relative), body, ct);
            if (!answer.IsSuccessStatusCode)
            {
                throw Core.Errors.SluiceException.Fatal($"the ingest API answered {(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync(ct)}");
            }
        }

        return new DemoTrafficSent(Pages: users, Identifies: users, Tracks: users);
    }
}

/// <summary>Calls the demo sent to the ingest API, by type.</summary>
internal sealed record DemoTrafficSent(int Pages, int Identifies, int Tracks)
{
    public int Total => Pages + Identifies + Tracks;
}
