using System.Net;
using Microsoft.Playwright;
using Sluice.Postgres.Destinations;
using Sluice.Testing;

namespace Sluice.Dashboard.Tests;

/// <summary>The dashboard in a real headless Chromium: every page renders with demo-like data, and every button does what it says.</summary>
public sealed class DashboardPagesTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task Every_page_renders_the_state_on_a_laptop_and_on_a_phone()
    {
        await using var bed = await DashboardBed.CreateAsync("dashboard_pages");
        var key = "00000000-0000-0000-0000-000000000002";
        foreach (var (width, height, size) in new[] { (1280, 900, "laptop"), (390, 844, "phone") })
        {
            await browser.WithPageAsync($"{nameof(Every_page_renders_the_state_on_a_laptop_and_on_a_phone)}_{size}", async page =>
            {
                // Syncs: both syncs, their last runs, a chart of records per run, the quarantine line.
                await OpenAsync(page, bed.Url + "/");
                var syncs = await page.Locator("main").InnerTextAsync();
                Assert.Contains(DashboardBed.TableSync, syncs, StringComparison.Ordinal);
                Assert.Contains(DashboardBed.GatewaySync, syncs, StringComparison.Ordinal);
                Assert.Contains("continuous", syncs, StringComparison.Ordinal);
                Assert.Contains("1 quarantined by its validate: rules", syncs, StringComparison.Ordinal);
                Assert.Equal(2, await page.Locator("svg.chart").CountAsync());
                await FitsAsync(page, size);

                // A sync: its run, its dead letters with reason and payload, its config with the write key hidden.
                await page.GetByRole(AriaRole.Link, new() { Name = DashboardBed.TableSync, Exact = true }).ClickAsync();
                await WaitForPageAsync(page, $"**/syncs/{DashboardBed.TableSync}");
                var sync = await page.Locator("main").InnerTextAsync();
                Assert.Contains("Runs", sync, StringComparison.Ordinal);
                Assert.Equal(3, await page.Locator("tr[id^=letter-]").CountAsync());
                Assert.Contains("table public.events does not exist", sync, StringComparison.Ordinal);
                await page.Locator("tr[id^=letter-] details summary").First.ClickAsync();
                Assert.Contains("sluice.events_row", await page.Locator("tr[id^=letter-] details pre").First.InnerTextAsync(), StringComparison.Ordinal);
                Assert.True(await page.GetByRole(AriaRole.Button, new() { Name = "Replay all" }).IsVisibleAsync());
                Assert.True(await page.GetByRole(AriaRole.Button, new() { Name = "Run now" }).IsVisibleAsync());
                await FitsAsync(page, size);

                await OpenAsync(page, $"{bed.Url}/syncs/{DashboardBed.GatewaySync}");
                var gateway = await page.Locator("main").InnerTextAsync();
                Assert.Contains("user: userId 'u9' is not in app.public.users.id", gateway, StringComparison.Ordinal);
                Assert.Contains("(hidden: it is a secret)", gateway, StringComparison.Ordinal);
                Assert.DoesNotContain(DashboardBed.SegmentWriteKey, await page.ContentAsync(), StringComparison.Ordinal);

                // A record: searched by key, with the dead letter's reason and payload.
                await OpenAsync(page, bed.Url + "/records");
                await page.GetByLabel("Sync").SelectOptionAsync(DashboardBed.TableSync);
                await page.GetByLabel("Record key or messageId").FillAsync(key);
                await page.GetByLabel("Record key or messageId").PressAsync("Enter");
                await WaitForPageAsync(page, "**/records?**");
                var record = await page.Locator("main").InnerTextAsync();
                Assert.Contains($"record {key}", record, StringComparison.Ordinal);
                Assert.Contains("not sent: dead-lettered — table public.events does not exist", record, StringComparison.Ordinal);
                Assert.Contains("sluice.events_row", record, StringComparison.Ordinal);

                // An ingested event by its messageId: found as its record, quarantined with the failed rule.
                await OpenAsync(page, $"{bed.Url}/records?sync={DashboardBed.GatewaySync}&key=unknown-user-event");
                Assert.Contains("not sent: quarantined — validate: user: userId 'u9' is not in app.public.users.id", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);

                // Live events: newest first, each with where it landed.
                await OpenAsync(page, bed.Url + "/events");
                var rows = page.Locator("main tbody tr");
                Assert.Equal(2, await rows.CountAsync());
                Assert.Contains("quarantined", await rows.Nth(0).InnerTextAsync(), StringComparison.Ordinal);
                Assert.Contains("sent", await rows.Nth(1).InnerTextAsync(), StringComparison.Ordinal);
                await FitsAsync(page, size);

                // Plan: the table sync would send its three events again; the gateway streams.
                await OpenAsync(page, bed.Url + "/plan");
                var plan = await page.Locator("main").InnerTextAsync();
                Assert.Contains("would be sent", plan, StringComparison.Ordinal);
                Assert.Contains("follows a stream", plan, StringComparison.Ordinal);
            }, width, height);
        }
    }

    [Fact]
    public async Task Replay_sends_the_dead_letters_once_the_table_exists_and_drop_keeps_one_out_with_its_reason()
    {
        await using var bed = await DashboardBed.CreateAsync("dashboard_replay");
        await browser.WithPageAsync(nameof(Replay_sends_the_dead_letters_once_the_table_exists_and_drop_keeps_one_out_with_its_reason), async page =>
        {
            await OpenAsync(page, $"{bed.Url}/syncs/{DashboardBed.TableSync}");
            var first = page.Locator("tr[id^=letter-]").First;
            var dropped = long.Parse((await first.GetAttributeAsync("id"))!["letter-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            await first.GetByLabel("Why drop").FillAsync("test traffic");
            await PressAsync(page, first.GetByRole(AriaRole.Button, new() { Name = "Drop", Exact = true }));
            Assert.Contains("1 dead letter(s) dropped", await page.Locator(".notice").InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal(2, await page.Locator("tr[id^=letter-]").CountAsync());
            Assert.Equal(1L, await bed.CountAsync($"SELECT count(*) FROM sluice.dead_letters WHERE id = {dropped} AND replay_outcome = 'dropped' AND dropped_reason = 'test traffic'"));

            await bed.ExecuteAsync(EventsTableDdl.CreateTable("public", "events"));
            await PressAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Replay all", Exact = true }));
            Assert.Contains("2 delivered, 0 refused again", await page.Locator(".notice").InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal(0, await page.Locator("tr[id^=letter-]").CountAsync());
            Assert.Equal(2L, await bed.CountAsync("SELECT count(*) FROM public.events"));
            Assert.Equal(0L, await bed.CountAsync("SELECT count(*) FROM sluice.dead_letters WHERE kind = 'rejected' AND replayed_at IS NULL"));
            Assert.Equal(2L, await bed.CountAsync("SELECT count(*) FROM sluice.dead_letters WHERE replay_outcome = 'delivered'"));
        });
    }

    [Fact]
    public async Task Release_sends_a_quarantined_event_once_its_user_exists()
    {
        await using var bed = await DashboardBed.CreateAsync("dashboard_release");
        await browser.WithPageAsync(nameof(Release_sends_a_quarantined_event_once_its_user_exists), async page =>
        {
            await OpenAsync(page, $"{bed.Url}/syncs/{DashboardBed.GatewaySync}");
            // Still unknown: released, checked again, and held back.
            await PressAsync(page, page.Locator("tr[id^=quarantined-]").GetByRole(AriaRole.Button, new() { Name = "Release", Exact = true }));
            Assert.Contains("0 released", await page.Locator(".notice").InnerTextAsync(), StringComparison.Ordinal);
            Assert.Single(bed.Emulator.Messages());

            await bed.ExecuteAsync("INSERT INTO users VALUES ('u9', 'grace@example.com')");
            await PressAsync(page, page.Locator("tr[id^=quarantined-]").GetByRole(AriaRole.Button, new() { Name = "Release", Exact = true }));
            Assert.Contains("1 released", await page.Locator(".notice").InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal(["known-user-event", "unknown-user-event"], bed.Emulator.Messages().Select(m => m.MessageId).Order());
            Assert.Equal(0L, await bed.CountAsync("SELECT count(*) FROM sluice.dead_letters WHERE kind = 'quarantined' AND replayed_at IS NULL"));
            Assert.Contains("Nothing quarantined.", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Run_now_runs_the_sync()
    {
        await using var bed = await DashboardBed.CreateAsync("dashboard_run_now");
        await bed.ExecuteAsync(EventsTableDdl.CreateTable("public", "events"));
        await bed.ExecuteAsync("UPDATE incoming SET updated_at = updated_at + interval '1 day'");
        await browser.WithPageAsync(nameof(Run_now_runs_the_sync), async page =>
        {
            await OpenAsync(page, $"{bed.Url}/syncs/{DashboardBed.TableSync}");
            await PressAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Run now", Exact = true }));
            Assert.Contains("started", await page.Locator(".notice").InnerTextAsync(), StringComparison.Ordinal);
            await Eventually.HoldsAsync(async () => await bed.CountAsync("SELECT count(*) FROM sluice.runs r JOIN sluice.syncs s ON s.id = r.sync_id WHERE s.name = 'events_to_table' AND r.status = 'succeeded'") == 2,
                "the run started by the button succeeded");
            Assert.Equal(3L, await bed.CountAsync("SELECT count(*) FROM public.events"));
            await page.ReloadAsync();
            Assert.Contains("succeeded: 3 read, 3 acknowledged", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_cross_site_post_is_refused_and_does_nothing()
    {
        await using var bed = await DashboardBed.CreateAsync("dashboard_forgery");
        await bed.ExecuteAsync(EventsTableDdl.CreateTable("public", "events"));
        await browser.WithPageAsync(nameof(A_cross_site_post_is_refused_and_does_nothing), async page =>
        {
            // The reader has the dashboard open (so its antiforgery cookie is set), then a page of another site posts to it.
            await OpenAsync(page, $"{bed.Url}/syncs/{DashboardBed.TableSync}");
            foreach (var (action, field) in new[] { ("dead-letters/replay", "<input name=\"__antiforgery\" value=\"forged\">"), ("run", "") })
            {
                await page.GotoAsync("about:blank");
                await page.SetContentAsync($"""<form method="post" action="{bed.Url}/syncs/{DashboardBed.TableSync}/{action}">{field}<button>Win a prize</button></form>""");
                var response = await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Win a prize" }).ClickAsync(), r => r.Request.Method == "POST");
                Assert.Equal(400, response.Status);
                await WaitForPageAsync(page, $"**/{action}");
                Assert.Contains("no valid antiforgery token", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
            }
        });

        // Nor does a POST made by anything else without the token.
        using var http = new HttpClient();
        using var post = await http.PostAsync($"{bed.Url}/syncs/{DashboardBed.GatewaySync}/quarantine/drop", new FormUrlEncodedContent(new Dictionary<string, string> { ["reason"] = "x" }));
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);

        Assert.Equal(3L, await bed.CountAsync("SELECT count(*) FROM sluice.dead_letters WHERE kind = 'rejected' AND replayed_at IS NULL"));
        Assert.Equal(1L, await bed.CountAsync("SELECT count(*) FROM sluice.dead_letters WHERE kind = 'quarantined' AND replayed_at IS NULL"));
        Assert.Equal(0L, await bed.CountAsync("SELECT count(*) FROM public.events"));
        Assert.Equal(1L, await bed.CountAsync("SELECT count(*) FROM sluice.runs r JOIN sluice.syncs s ON s.id = r.sync_id WHERE s.name = 'events_to_table'"));
    }

    /// <summary>Presses a form's button and waits for the page it leads to (post, redirect, get: a new notice).</summary>
    private static async Task PressAsync(IPage page, ILocator button)
    {
        var before = page.Url;
        await button.ClickAsync();
        // Wait for the redirect's response only (Commit): the assertions that follow wait for their elements themselves.
        // Waiting for the "load" event as well once timed out under a loaded machine with the page already shown.
        await page.WaitForURLAsync(url => url != before && url.Contains("notice=", StringComparison.Ordinal), new() { WaitUntil = WaitUntilState.Commit });
    }

    /// <summary>
    /// Waits for the page a click or a key press leads to: its URL committed and its document parsed (checked in the page
    /// itself). Not for the "load" event: that wait timed out under a loaded machine with the new page already shown
    /// (once for a button's redirect, once for the record search), its load state apparently never reported.
    /// </summary>
    private static async Task WaitForPageAsync(IPage page, string url)
    {
        await page.WaitForURLAsync(url, new() { WaitUntil = WaitUntilState.Commit });
        await page.WaitForFunctionAsync("document.readyState !== 'loading'");
    }

    private static async Task OpenAsync(IPage page, string url)
    {
        var response = await page.GotoAsync(url);
        Assert.True(response is { Ok: true }, $"{url}: {response?.Status}");
    }

    /// <summary>The page does not scroll sideways: wide tables scroll in their own box, so the page reads on a phone.</summary>
    private static async Task FitsAsync(IPage page, string size)
    {
        var (scroll, viewport) = (await page.EvaluateAsync<int>("document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("window.innerWidth"));
        var wide = scroll <= viewport ? "" : await page.EvaluateAsync<string>(
            "[...document.querySelectorAll('main *')].filter(e => !e.closest('.scroll') && e.getBoundingClientRect().right > window.innerWidth).slice(0, 3).map(e => e.outerHTML.slice(0, 200)).join('\\n')");
        Assert.True(scroll <= viewport, $"on a {size} {page.Url} is {scroll} px wide in a {viewport} px window; too wide:\n{wide}");
    }
}
