using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Server.Dashboard.Internal;
using Sluice.Server.Hosting;
using Sluice.Server.Metrics;
using Sluice.State;
using Sluice.State.Ingest;

namespace Sluice.Server.Dashboard;

/// <summary>
/// The dashboard: server-rendered pages (syncs, a sync, a record, live events, plan) and the buttons that act on a
/// sync (run now; replay or drop dead letters; release or drop quarantined events). Mapped by one call,
/// <see cref="MapDashboard"/>, on whichever listener the host chooses; <see cref="AddSluiceDashboard"/> registers what
/// the buttons need. Every button is a form POST checked by ASP.NET Core's antiforgery (a token in the form, matched
/// by a SameSite=Strict cookie): a POST from another site carries no valid token and is refused with 400.
/// </summary>
public static class DashboardEndpoints
{
    private const string HtmlType = "text/html; charset=utf-8";

    /// <summary>Antiforgery, with keys that live as long as the process (nothing written to disk; a restart asks for a reload).</summary>
    public static IServiceCollection AddSluiceDashboard(this IServiceCollection services)
    {
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "sluice-antiforgery";
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.FormFieldName = "__antiforgery";
        });
        return services;
    }

    /// <summary>Maps every dashboard page and button under <c>/</c>; <paramref name="health"/> gives the connectors' latest health reading.</summary>
    public static RouteGroupBuilder MapDashboard(this IEndpointRouteBuilder endpoints, SluiceWorkspace workspace, Func<SyncHealthSnapshot?>? health = null, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(workspace);
        var site = new Site(workspace, health ?? (() => null), new RunNow(workspace, log ?? NullLogger.Instance), new Notices());
        var group = endpoints.MapGroup("");
        group.MapGet("/", (Func<HttpContext, Task<IResult>>)site.SyncsAsync);
        group.MapGet("/syncs/{name}", (HttpContext http, string name) => site.SyncAsync(http, name));
        group.MapGet("/records", (Func<HttpContext, Task<IResult>>)site.RecordAsync);
        group.MapGet("/events", (Func<HttpContext, Task<IResult>>)site.EventsAsync);
        group.MapGet("/plan", (Func<HttpContext, Task<IResult>>)site.PlanAsync);
        group.MapPost("/syncs/{name}/run", (HttpContext http, string name) => site.RunNowAsync(http, name));
        group.MapPost("/syncs/{name}/dead-letters/replay", (HttpContext http, string name) => site.ReplayAsync(http, name, quarantine: false));
        group.MapPost("/syncs/{name}/quarantine/release", (HttpContext http, string name) => site.ReplayAsync(http, name, quarantine: true));
        group.MapPost("/syncs/{name}/dead-letters/drop", (HttpContext http, string name) => site.DropAsync(http, name, quarantine: false));
        group.MapPost("/syncs/{name}/quarantine/drop", (HttpContext http, string name) => site.DropAsync(http, name, quarantine: true));
        return group;
    }

    /// <summary>The handlers, around the workspace and what the dashboard remembers (schedules, run-now outcomes, notices).</summary>
    private sealed class Site(SluiceWorkspace workspace, Func<SyncHealthSnapshot?> health, RunNow runNow, Notices notices)
    {
        private IReadOnlyDictionary<string, Schedule>? _schedules;

        public async Task<IResult> SyncsAsync(HttpContext http)
        {
            var ct = http.RequestAborted;
            var store = await workspace.StateAsync(ct);
            var (dataSource, schema) = await workspace.StateDataSourceAsync(ct);
            var status = await store.StatusAsync(ct);
            var runs = await new RunHistory(dataSource, schema).LatestOfEverySyncAsync(SyncsPage.ChartRuns, ct);
            var ingest = await workspace.IngestBacklogAsync(ct);
            var body = SyncsPage.Render(status, await SchedulesAsync(), workspace.Time.GetUtcNow(), ingest, health(), runs);
            return Page("Syncs", "/", body, refresh: 5);
        }

        public async Task<IResult> SyncAsync(HttpContext http, string name)
        {
            var ct = http.RequestAborted;
            if (workspace.Config.FindSync(name) is not { } sync)
            {
                return NotFound(name);
            }

            var store = await workspace.StateAsync(ct);
            var (dataSource, schema) = await workspace.StateDataSourceAsync(ct);
            var runs = await new RunHistory(dataSource, schema).LatestAsync(name, SyncPage.Limit, ct);
            var (letters, lettersTotal) = await store.DeadLetters.ListAsync(name, SyncPage.Limit, includeReplayed: false, withPayload: true, ct);
            var (quarantined, quarantinedTotal) = await store.Quarantine.ListAsync(name, null, SyncPage.Limit, withPayload: true, ct);
            var tokens = Tokens(http);
            var body = SyncPage.Render(sync, runs, [.. letters.Where(l => l.Kind != "quarantined").Reverse()], lettersTotal,
                [.. quarantined.Reverse()], quarantinedTotal, workspace.Config.FindConnection(sync.SourceConnection), workspace.Config.FindConnection(sync.DestinationConnection),
                runNow.Outcome(name), tokens, workspace.Time.GetUtcNow());
            return Page(name, "", NoticeOf(http) + body);
        }

        public async Task<IResult> RecordAsync(HttpContext http)
        {
            var ct = http.RequestAborted;
            var syncName = http.Request.Query["sync"].FirstOrDefault();
            var key = http.Request.Query["key"].FirstOrDefault();
            RecordPage.Found? found = null;
            if (!string.IsNullOrEmpty(syncName) && !string.IsNullOrEmpty(key))
            {
                if (workspace.Config.FindSync(syncName) is null)
                {
                    return NotFound(syncName);
                }

                found = await ExplainAsync(syncName, key, ct);
            }

            return Page("Explain a record", "/records", RecordPage.Render(workspace.Config.Syncs, syncName, key, found));
        }

        public async Task<IResult> EventsAsync(HttpContext http)
        {
            var ct = http.RequestAborted;
            var (dataSource, schema) = await workspace.StateDataSourceAsync(ct);
            var sources = workspace.Config.Connections
                .Where(c => workspace.Connectors.FirstOrDefault(x => x.Type == c.Type) is IBacklogReporting).Select(c => c.Name).ToList();
            var readers = workspace.Config.Syncs
                .Where(s => workspace.Config.FindConnection(s.SourceConnection) is { } source
                    && workspace.Connectors.FirstOrDefault(x => x.Type == source.Type) is IBacklogReporting backlog && backlog.HasBacklog(s, source))
                .Select(s => (s.Name, s.SourceConnection))
                .ToList();
            var events = await RecentIngestEvents.ReadAsync(dataSource, schema, sources, readers, EventsPage.Limit, ct);
            return Page("Live events", "/events", EventsPage.Render(events, sources.Count, workspace.Time.GetUtcNow()), refresh: 5);
        }

        public async Task<IResult> PlanAsync(HttpContext http)
        {
            var ct = http.RequestAborted;
            var chosen = http.Request.Query["sync"].FirstOrDefault();
            if (chosen is not null && workspace.Config.FindSync(chosen) is null)
            {
                return NotFound(chosen);
            }

            var entries = new List<PlanPage.Entry>();
            foreach (var sync in workspace.Config.Syncs.Where(s => chosen is null || s.Name == chosen))
            {
                try
                {
                    entries.Add(await workspace.StreamsAsync(sync)
                        ? new PlanPage.Entry(sync.Name, null, "follows a stream and sends each change as it arrives: nothing to plan (its lag is on the Syncs page)", Failed: false)
                        : new PlanPage.Entry(sync.Name, await workspace.PlanAsync(sync.Name, samples: 1, ct), null, Failed: false));
                }
                catch (SluiceException e) when (!ct.IsCancellationRequested)
                {
                    entries.Add(new PlanPage.Entry(sync.Name, null, $"cannot plan: {e.Message}", Failed: true));
                }
            }

            return Page("Plan", "/plan", PlanPage.Render([.. workspace.Config.Syncs.Select(s => s.Name)], chosen, entries));
        }

        public async Task<IResult> RunNowAsync(HttpContext http, string name)
        {
            if (await RefuseForgedAsync(http) is { } refused)
            {
                return refused;
            }

            if (workspace.Config.FindSync(name) is null)
            {
                return NotFound(name);
            }

            var started = runNow.Start(name, Stopping(http));
            return Back(name, started
                ? $"a run of {name} started; it shows under Runs, and its outcome next to the button, once it ends (reload)"
                : $"a run of {name} started from this page is still going", bad: !started);
        }

        /// <summary>Replays dead letters, or releases quarantined events (checked again by the sync's processors), through the delivery service.</summary>
        public async Task<IResult> ReplayAsync(HttpContext http, string name, bool quarantine)
        {
            if (await RefuseForgedAsync(http) is { } refused)
            {
                return refused;
            }

            if (workspace.Config.FindSync(name) is not { } sync)
            {
                return NotFound(name);
            }

            var ids = await IdsAsync(http);
            var ct = Stopping(http);
            var what = quarantine ? "release" : "replay";
            try
            {
                var definition = workspace.Build(sync);
                await using var source = definition.Source;
                await using var destination = definition.Destination;
                var store = await workspace.StateAsync(ct);
                await using var lease = await store.TryAcquireAsync(name, ct);
                if (lease is null)
                {
                    return Back(name, $"not done: {name} is running (a run or its streaming run under `sluice run` holds its lock), and a {what} must not interleave with it; " +
                        "wait for the run to end, or stop the streaming sync", bad: true);
                }

                var replay = new DeadLetterReplay(store.DeadLetters, destination, definition.Gate, definition.Options.Retry, workspace.Time)
                {
                    DestinationConnection = definition.DestinationConnection,
                    Revalidate = quarantine ? definition.Processors : null,
                };
                var result = await replay.ReplayAsync(lease, ids, null, ct);
                var text = quarantine
                    ? $"{name}: {result.Delivered:N0} released to {destination.Description}, {result.Refused.Count:N0} still quarantined"
                    : $"{name}: replayed to {destination.Description}: {result.Delivered:N0} delivered, {result.Refused.Count:N0} refused again"
                        + (result.Unreplayable.Count > 0 ? $", {result.Unreplayable.Count:N0} with no payload to replay" : "");
                text += string.Concat(result.Refused.GroupBy(l => l.Reason).Take(3).Select(g => $"; {g.Count():N0} × {g.Key}"));
                if (result.StoppedBy is { } stopped)
                {
                    text += $"; the {what} stopped: {stopped}";
                }

                return Back(name, text, bad: result.StoppedBy is not null || result.Refused.Count > 0 || result.Unreplayable.Count > 0);
            }
            catch (SluiceException e) when (!ct.IsCancellationRequested)
            {
                return Back(name, $"the {what} failed: {e.Message}", bad: true);
            }
        }

        public async Task<IResult> DropAsync(HttpContext http, string name, bool quarantine)
        {
            if (await RefuseForgedAsync(http) is { } refused)
            {
                return refused;
            }

            if (workspace.Config.FindSync(name) is null)
            {
                return NotFound(name);
            }

            var reason = (await http.Request.ReadFormAsync(http.RequestAborted))["reason"].FirstOrDefault()?.Trim();
            if (string.IsNullOrEmpty(reason))
            {
                return Back(name, "not dropped: say why (the reason is kept with each dropped record, and explain shows it)", bad: true);
            }

            var ids = await IdsAsync(http);
            var store = await workspace.StateAsync(http.RequestAborted);
            var dropped = quarantine
                ? await store.Quarantine.DropAsync(name, ids, reason, http.RequestAborted)
                : await store.DeadLetters.DropAsync(name, ids, reason, http.RequestAborted);
            var missing = ids?.Except(dropped).Count() ?? 0;
            return Back(name, $"{name}: {dropped.Count:N0} {(quarantine ? "quarantined event(s)" : "dead letter(s)")} dropped" +
                (missing > 0 ? $"; {missing:N0} were no longer there (released, replayed or dropped already)" : ""), bad: missing > 0);
        }

        /// <summary>What <c>sluice explain</c> reads, in the order it reads it: an ingested event's messageId is looked up as its key.</summary>
        private async Task<RecordPage.Found> ExplainAsync(string syncName, string key, CancellationToken ct)
        {
            var history = await workspace.HistoryAsync(ct);
            var events = await history.LoadAsync(syncName, key, ct);
            var state = await history.LoadStateAsync(syncName, key, ct);
            string? byMessageId = null;
            if (events.Count == 0 && state is null && await history.KeyOfMessageIdAsync(syncName, key, ct) is { } recordKey)
            {
                byMessageId = key;
                key = recordKey;
                events = await history.LoadAsync(syncName, key, ct);
                state = await history.LoadStateAsync(syncName, key, ct);
            }

            var lastDeadLettered = state is null && events.Count > 0 && events[^1].What != "acknowledged";
            var letter = state?.Status is "dead_lettered" or "quarantined" or "waiting" || lastDeadLettered ? await history.LoadLastDeadLetterAsync(syncName, key, ct) : null;
            var known = events.Count > 0 || state is not null || await history.KnowsSyncAsync(syncName, ct);
            return new RecordPage.Found(key, byMessageId, events, state, letter, known);
        }

        private async Task<IReadOnlyDictionary<string, Schedule>> SchedulesAsync()
        {
            if (_schedules is null)
            {
                var schedules = new Dictionary<string, Schedule>(StringComparer.Ordinal);
                foreach (var sync in workspace.Config.Syncs)
                {
                    schedules[sync.Name] = await workspace.ScheduleOfAsync(sync);
                }

                _schedules = schedules;
            }

            return _schedules;
        }

        /// <summary>The letters a form names (<c>id</c> fields); null when it names none: all of them.</summary>
        private static async Task<IReadOnlyCollection<long>?> IdsAsync(HttpContext http)
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            var ids = form["id"].Select(v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1).Where(id => id > 0).ToList();
            return ids.Count == 0 ? null : ids;
        }

        /// <summary>Null when the POST carries a valid antiforgery token; otherwise the 400 page that refuses it.</summary>
        private static async Task<IResult?> RefuseForgedAsync(HttpContext http)
        {
            try
            {
                await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http);
                return null;
            }
            catch (AntiforgeryValidationException)
            {
                return Results.Content(
                    Html.Layout("Refused", "", "<h1>Refused</h1><p class=\"notice bad\">This form carries no valid antiforgery token, so it was not sent from this dashboard " +
                        "(or the page is from before the server restarted). Nothing was done. Reload the page and press the button again.</p>"),
                    HtmlType, statusCode: StatusCodes.Status400BadRequest);
            }
        }

        private static AntiforgeryTokenSet Tokens(HttpContext http) => http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);

        /// <summary>A button's work is not tied to the browser staying: only the server stopping cancels it.</summary>
        private static CancellationToken Stopping(HttpContext http) =>
            http.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;

        /// <summary>Post, redirect, get: back to the sync's page with what the button did at its top.</summary>
        private IResult Back(string name, string text, bool bad) =>
            Results.Redirect($"/syncs/{Uri.EscapeDataString(name)}?notice={notices.Add(text, bad)}");

        private string NoticeOf(HttpContext http) => notices.Find(http.Request.Query["notice"].FirstOrDefault()) is { } notice
            ? $"<p class=\"notice{(notice.Bad ? " bad" : "")}\" role=\"status\">{Html.E(notice.Text)}</p>"
            : "";

        private IResult NotFound(string name) => Results.Content(
            Html.Layout("Not found", "", $"<h1>No sync named {Html.E(name)}</h1><p>{Html.E(workspace.Config.Syncs.Count == 0 ? "The config declares no syncs." : $"Syncs: {string.Join(", ", workspace.Config.Syncs.Select(s => s.Name))}")}</p>"),
            HtmlType, statusCode: StatusCodes.Status404NotFound);

        private static IResult Page(string title, string path, string body, int? refresh = null) =>
            Results.Content(Html.Layout(title, path, body, refresh), HtmlType);
    }
}
