using System.Text.Json;
using Sluice.Testing;

namespace Sluice.EndToEnd.Ingest;

/// <summary>
/// Segment's browser library (analytics.js, <c>@segment/analytics-next</c> pinned by node/package-lock.json) on a
/// page in headless Chromium, configured as docs/ingest.md says: the browser posts cross-origin (a CORS preflight
/// first, as the requests carry a Basic Authorization header) to the short paths with <c>text/plain</c> bodies, and
/// every call lands in the Segment warehouse layout and in the events table.
/// </summary>
public sealed class BrowserClientTests
{
    private const string Run = "web";
    private static readonly TimeSpan DriverTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Segments_browser_library_in_chromium_lands_every_call_in_the_warehouse_and_the_events_table()
    {
        var chromium = await Chromium.EnsureInstalledAsync();
        await NodeTooling.EnsureInstalledAsync(NodeTooling.ClientFolder);
        await using var bed = await IngestLandingBed.StartAsync(nameof(Segments_browser_library_in_chromium_lands_every_call_in_the_warehouse_and_the_events_table));

        var result = await NodeTooling.RunAsync(NodeTooling.Node, ["browser.mjs", bed.Url, IngestLandingBed.WriteKey, Run, chromium], NodeTooling.ClientFolder, DriverTimeout);

        Assert.True(result.Succeeded, $"node browser.mjs failed (exit {result.ExitCode}):\n{result.Output}\nsluice run printed:\n{bed.Output}");
        var requests = Requests(result.Output);
        Assert.Equal(["/v1/p", "/v1/a", "/v1/i", "/v1/t", "/v1/g"], requests.Select(r => r.Path));
        Assert.All(requests, r => Assert.Equal(("POST", 200, "text/plain"), (r.Method, r.Status, r.ContentType)));

        var queued = await bed.QueuedAsync();
        Assert.Equal(["page", "alias", "identify", "track", "group"], queued.Select(r => (string)r["type"]!));

        // Segment's warehouse layout. The page view came before sign-up: anonymous, and the alias joins that
        // anonymous id to the new user id.
        var page = Assert.Single(await bed.WaitForRowsAsync("web.pages", 1));
        var anonymousId = Assert.IsType<string>(page["anonymous_id"]);
        Assert.Null(page["user_id"]);
        Assert.Equal("Pricing", page["name"]);
        Assert.Equal("Docs", page["category"]);
        Assert.Equal("pro", page["plan_shown"]);
        Assert.Equal("/page.html", page["path"]);
        Assert.Equal("Pricing", page["title"]);
        Assert.Equal("analytics.js", page["context_library_name"]);
        Assert.Equal("next-1.84.3", page["context_library_version"]);
        Assert.Equal("/page.html", page["context_page_path"]);
        Assert.Contains("HeadlessChrome", (string)page["context_user_agent"]!, StringComparison.Ordinal);

        var alias = Assert.Single(await bed.WaitForRowsAsync("web.aliases", 1));
        Assert.Equal(anonymousId, alias["previous_id"]);
        Assert.Equal($"{Run}-user", alias["user_id"]);

        var identify = await CommonCallsLanded.AssertUserAsync(bed, Run);
        Assert.Equal(anonymousId, identify["anonymous_id"]);

        var track = await CommonCallsLanded.AssertOrderAsync(bed, Run, "analytics.js");
        Assert.Equal(anonymousId, track["anonymous_id"]);

        await CommonCallsLanded.AssertGroupAsync(bed, Run);

        Assert.Empty(await bed.DiscardsAsync("web.discards"));

        // The events table: one row per queued event, under the queue's event id.
        await CommonCallsLanded.AssertEventsTableAsync(bed, Run, queued, ["Order Completed", "alias", "group", "identify", "page"]);
    }

    /// <summary>The requests the browser made to Sluice, as browser.mjs reported them (its one JSON line).</summary>
    private static List<(string Method, string Path, int Status, string? ContentType)> Requests(string output)
    {
        var line = output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("{\"calls\"", StringComparison.Ordinal));
        Assert.True(line is not null, "browser.mjs printed no report:\n" + output);
        using var report = JsonDocument.Parse(line);
        return report.RootElement.GetProperty("requests").EnumerateArray()
            .Select(r => (r.GetProperty("method").GetString()!, r.GetProperty("path").GetString()!, r.GetProperty("status").GetInt32(),
                r.GetProperty("contentType").GetString()))
            .ToList();
    }
}
