using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Sluice.Core.Configuration;
using Sluice.Server.Dashboard.Internal;
using Sluice.State;
using static Sluice.Server.Dashboard.Internal.Html;

namespace Sluice.Server.Dashboard;

/// <summary>
/// One sync: "run now", its runs (history, duration, read/sent/rejected, error), its dead letters with reason and
/// payload and the replay and drop buttons, its quarantine with release and drop, and its config as loaded (secrets
/// masked). Every button is a form POST carrying the antiforgery token.
/// </summary>
internal static class SyncPage
{
    /// <summary>How many runs, dead letters and quarantined events the page lists (the latest; the CLI lists more).</summary>
    public const int Limit = 50;

    /// <param name="letters">The latest dead letters still in the queue (rejected or waiting), with payloads.</param>
    /// <param name="lettersTotal">How many are in the queue in all, quarantined ones included.</param>
    public static string Render(
        SyncConfig sync, IReadOnlyList<StoredRun> runs, IReadOnlyList<StoredDeadLetter> letters, long lettersTotal,
        IReadOnlyList<StoredDeadLetter> quarantined, long quarantinedTotal, ConnectionConfig? source, ConnectionConfig? destination,
        string? runNowOutcome, AntiforgeryTokenSet tokens, DateTimeOffset now)
    {
        var name = sync.Name;
        var path = $"/syncs/{U(name)}";
        var html = new StringBuilder();
        html.Append("<h1>").Append(E(name)).Append("</h1><p>").Append(E(sync.SourceConnection)).Append(" → ").Append(E(sync.DestinationConnection))
            .Append(" · schedule ").Append(E(sync.Schedule ?? "default")).Append(" · <a href=\"/records?sync=").Append(U(name)).Append("\">explain a record</a>")
            .Append(" · <a href=\"/plan?sync=").Append(U(name)).Append("\">plan</a></p>");
        if (runs.Count > 0 && runs[0] is { Status: "failed", Error: { } error })
        {
            html.Append("<p class=\"notice bad\">Last run failed: ").Append(E(error)).Append("</p>");
        }

        Form(html, tokens, $"{path}/run", "", "Run now", "primary");
        if (runNowOutcome is not null)
        {
            html.Append(" <span class=\"muted\">").Append(E(runNowOutcome)).Append("</span>");
        }

        AppendRuns(html, runs, now);
        AppendLetters(html, tokens, path, letters, lettersTotal);
        AppendQuarantine(html, tokens, path, quarantined, quarantinedTotal);

        html.Append("<h2 id=\"config\">Config as loaded</h2><p class=\"muted\">Secrets and values from the environment are not shown.</p>");
        ConfigView.Render(html, sync.Section);
        foreach (var connection in new[] { source, destination }.OfType<ConnectionConfig>().DistinctBy(c => c.Name))
        {
            html.Append("<h3>connection ").Append(E(connection.Name)).Append(" (").Append(E(connection.Type)).Append(")</h3>");
            ConfigView.Render(html, connection.Settings);
        }

        return html.ToString();
    }

    private static void AppendRuns(StringBuilder html, IReadOnlyList<StoredRun> runs, DateTimeOffset now)
    {
        html.Append("<h2 id=\"runs\">Runs</h2>");
        if (runs.Count == 0)
        {
            html.Append("<p>No runs yet.</p>");
            return;
        }

        html.Append("<div class=\"scroll\"><table><caption class=\"sr\">The latest runs</caption><thead><tr><th scope=\"col\">run</th><th scope=\"col\">kind</th><th scope=\"col\">status</th>")
            .Append("<th scope=\"col\">started (UTC)</th><th scope=\"col\" class=\"num\">duration</th><th scope=\"col\" class=\"num\">read</th><th scope=\"col\" class=\"num\">sent</th>")
            .Append("<th scope=\"col\" class=\"num\">rejected</th><th scope=\"col\" class=\"num\">batches</th><th scope=\"col\">error</th></tr></thead><tbody>");
        foreach (var run in runs)
        {
            var duration = (run.FinishedAt ?? now) - run.StartedAt;
            html.Append("<tr><td class=\"num\">").Append(run.Id).Append("</td><td>").Append(E(run.Kind)).Append("</td><td class=\"").Append(E(run.Status)).Append("\">")
                .Append(E(run.Status)).Append("</td><td>").Append(When(run.StartedAt)).Append("</td><td class=\"num\">")
                .Append(E(Duration(duration))).Append(run.FinishedAt is null ? " so far" : "").Append("</td><td class=\"num\">").Append(N(run.Read))
                .Append("</td><td class=\"num\">").Append(N(run.Acknowledged)).Append("</td><td class=\"num\">").Append(N(run.Rejected))
                .Append("</td><td class=\"num\">").Append(N(run.Batches)).Append("</td><td class=\"err\">").Append(E(run.Error)).Append("</td></tr>");
        }

        html.Append("</tbody></table></div>");
    }

    private static void AppendLetters(StringBuilder html, AntiforgeryTokenSet tokens, string path, IReadOnlyList<StoredDeadLetter> letters, long total)
    {
        html.Append("<h2 id=\"dead-letters\">Dead letters</h2>");
        if (letters.Count == 0)
        {
            html.Append("<p>None in the queue.</p>");
            return;
        }

        html.Append("<p>").Append(N(letters.Count)).Append(" shown").Append(total > letters.Count ? $" (the latest; {N(total)} in the queue with quarantined events)" : "")
            .Append(". A replay sends the stored payload again through the destination as configured now; a drop keeps a letter out for good, with the reason given.</p>");
        Form(html, tokens, $"{path}/dead-letters/replay", "", "Replay all", "primary");
        Form(html, tokens, $"{path}/dead-letters/drop", ReasonField("drop-all-letters"), "Drop all", "danger");
        html.Append("<div class=\"scroll\"><table><caption class=\"sr\">Dead letters</caption><thead><tr><th scope=\"col\">id</th><th scope=\"col\">key</th><th scope=\"col\">when (UTC)</th>")
            .Append("<th scope=\"col\">reason</th><th scope=\"col\">payload</th><th scope=\"col\">actions</th></tr></thead><tbody>");
        foreach (var letter in letters)
        {
            var id = letter.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            html.Append("<tr id=\"letter-").Append(id).Append("\"><td class=\"num\">").Append(id).Append("</td><td><a href=\"/records?sync=").Append(U(letter.SyncName)).Append("&amp;key=")
                .Append(U(letter.RecordKey)).Append("\">").Append(E(letter.RecordKey)).Append("</a></td><td>").Append(When(letter.CreatedAt)).Append("</td><td class=\"")
                .Append(letter.Kind == "waiting" ? "waiting" : "err").Append("\">").Append(letter.Kind == "waiting" ? "waiting: " : "").Append(E(letter.Reason))
                .Append(letter.ReplayAttempts > 0 ? $" (replayed {letter.ReplayAttempts} time(s))" : "").Append("</td><td>");
            AppendPayload(html, letter.Payload);
            html.Append("</td><td>");
            var idField = $"<input type=\"hidden\" name=\"id\" value=\"{id}\">";
            Form(html, tokens, $"{path}/dead-letters/replay", idField, "Replay");
            Form(html, tokens, $"{path}/dead-letters/drop", idField + ReasonField($"drop-letter-{id}"), "Drop", "danger");
            html.Append("</td></tr>");
        }

        html.Append("</tbody></table></div>");
    }

    private static void AppendQuarantine(StringBuilder html, AntiforgeryTokenSet tokens, string path, IReadOnlyList<StoredDeadLetter> events, long total)
    {
        html.Append("<h2 id=\"quarantine\">Quarantine</h2>");
        if (events.Count == 0)
        {
            html.Append("<p>Nothing quarantined.</p>");
            return;
        }

        html.Append("<p>").Append(N(events.Count)).Append(" shown").Append(total > events.Count ? $" (the latest of {N(total)})" : "")
            .Append(". A release checks them again against today's reference data and sends what passes; a drop keeps them out for good.</p>");
        Form(html, tokens, $"{path}/quarantine/release", "", "Release all", "primary");
        Form(html, tokens, $"{path}/quarantine/drop", ReasonField("drop-all-quarantined"), "Drop all", "danger");
        html.Append("<div class=\"scroll\"><table><caption class=\"sr\">Quarantined events</caption><thead><tr><th scope=\"col\">id</th><th scope=\"col\">messageId</th><th scope=\"col\">when (UTC)</th>")
            .Append("<th scope=\"col\">failed rules</th><th scope=\"col\">event</th><th scope=\"col\">actions</th></tr></thead><tbody>");
        foreach (var e in events)
        {
            var id = e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            html.Append("<tr id=\"quarantined-").Append(id).Append("\"><td class=\"num\">").Append(id).Append("</td><td><a href=\"/records?sync=").Append(U(e.SyncName)).Append("&amp;key=")
                .Append(U(e.RecordKey)).Append("\">").Append(E(e.MessageId ?? e.RecordKey)).Append("</a></td><td>").Append(When(e.CreatedAt)).Append("</td><td class=\"quarantined\">")
                .Append(E(e.Reason)).Append(e.ReplayAttempts > 0 ? $" (checked again {e.ReplayAttempts} time(s))" : "").Append("</td><td>");
            AppendPayload(html, e.Payload);
            html.Append("</td><td>");
            var idField = $"<input type=\"hidden\" name=\"id\" value=\"{id}\">";
            Form(html, tokens, $"{path}/quarantine/release", idField, "Release");
            Form(html, tokens, $"{path}/quarantine/drop", idField + ReasonField($"drop-quarantined-{id}"), "Drop", "danger");
            html.Append("</td></tr>");
        }

        html.Append("</tbody></table></div>");
    }

    /// <summary>The payload folded away: it may be long, and may hold personal data a glance need not show.</summary>
    public static void AppendPayload(StringBuilder html, string? payload)
    {
        if (payload is null)
        {
            html.Append("<span class=\"muted\">none (refused before it was encoded)</span>");
            return;
        }

        html.Append("<details><summary>payload</summary><pre>").Append(E(PrettyJson(payload))).Append("</pre></details>");
    }

    /// <summary>The reason a drop is kept with, required (as <c>--reason</c> is for the CLI).</summary>
    private static string ReasonField(string id) =>
        $"<label class=\"sr\" for=\"{id}\">Why drop</label><input type=\"text\" id=\"{id}\" name=\"reason\" required placeholder=\"why drop\" size=\"12\">";
}
