using System.Globalization;
using System.Net;
using System.Text;
using Sluice.Core.Connectors;
using Sluice.Server.Metrics;
using Sluice.State;
using Sluice.State.Ingest;

namespace Sluice.Server.Dashboard;

/// <summary>
/// The dashboard's one page: every sync, its schedule, its last run and its dead letters, and for a sync reading an
/// ingest source its backlog and the events deleted before it read them (lost); then what the connectors watch
/// (<see cref="IHealthReporting"/>: a CDC slot's lag, an API's quota), with the same lines <c>/metrics</c> exports.
/// </summary>
internal static class StatusPage
{
    public static string Render(
        IReadOnlyList<SyncStatus> syncs, IReadOnlyDictionary<string, string> schedules, DateTimeOffset now, IReadOnlyList<IngestBacklog>? ingest = null,
        SyncHealthSnapshot? health = null)
    {
        var backlogs = (ingest ?? []).ToDictionary(b => b.Sync, StringComparer.Ordinal);
        var html = new StringBuilder();
        html.Append("""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
            <title>Sluice</title>
            <style>
            body{font:14px system-ui,sans-serif;margin:2rem;color:#1f2328}h1{font-size:20px}
            table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #d0d7de}
            th{background:#f6f8fa}.succeeded{color:#1a7f37}.failed{color:#cf222e}.running{color:#9a6700}.err{color:#cf222e;font-size:12px}
            .warning{color:#9a6700}.critical{color:#cf222e}.ok{color:#1a7f37}.lines{font:12px ui-monospace,monospace}h2{font-size:16px;margin-top:2rem}
            .num{text-align:right;font-variant-numeric:tabular-nums}
            </style></head><body><h1>Sluice</h1>
            <table><tr><th>sync</th><th>schedule</th><th>last run</th><th>status</th><th class="num">read</th><th class="num">acknowledged</th><th class="num">rejected</th><th class="num">dead letters</th><th class="num">acknowledged, all runs</th><th class="num">ingest backlog</th><th class="num">lost</th></tr>
            """);
        foreach (var sync in syncs)
        {
            var status = sync.LastRunStatus ?? "never run";
            html.Append("<tr><td>").Append(E(sync.Name)).Append("</td><td>")
                .Append(E(schedules.GetValueOrDefault(sync.Name, "not in config"))).Append("</td><td>")
                .Append(sync.LastRunStarted is { } started ? E(Ago(now - started)) : "—").Append("</td><td class=\"").Append(E(status)).Append("\">")
                .Append(E(status)).Append("</td><td class=\"num\">").Append(N(sync.LastRunRead)).Append("</td><td class=\"num\">")
                .Append(N(sync.LastRunAcknowledged)).Append("</td><td class=\"num\">").Append(N(sync.LastRunRejected)).Append("</td><td class=\"num\">")
                .Append(N(sync.DeadLetters)).Append("</td><td class=\"num\">").Append(N(sync.TotalAcknowledged)).Append("</td>");
            AppendIngest(html, backlogs.GetValueOrDefault(sync.Name), now);
            html.Append("</tr>");
            if (sync.LastRunError is { } error)
            {
                html.Append("<tr><td></td><td colspan=\"10\" class=\"err\">").Append(E(error)).Append("</td></tr>");
            }

            if (sync.Quarantined > 0)
            {
                html.Append("<tr><td></td><td colspan=\"10\" class=\"warning\">")
                    .Append(E(string.Create(CultureInfo.InvariantCulture, $"{sync.Quarantined:N0} quarantined by its validate: rules (not sent): sluice quarantine list {sync.Name}")))
                    .Append("</td></tr>");
            }

            if (backlogs.GetValueOrDefault(sync.Name) is { Lost: > 0 } lost)
            {
                html.Append("<tr><td></td><td colspan=\"10\" class=\"err\">")
                    .Append(E(string.Create(CultureInfo.InvariantCulture, $"{lost.Lost:N0} events of ingest source '{lost.Source}' were deleted before this sync read them (over max_backlog), the last {Ago(now - lost.LastLostAt!.Value)}")))
                    .Append("</td></tr>");
            }
        }

        foreach (var (name, schedule) in schedules.Where(s => syncs.All(x => x.Name != s.Key)))
        {
            html.Append("<tr><td>").Append(E(name)).Append("</td><td>").Append(E(schedule)).Append("</td><td>—</td><td>never run</td><td colspan=\"5\"></td>");
            AppendIngest(html, backlogs.GetValueOrDefault(name), now);
            html.Append("</tr>");
        }

        html.Append("</table>");
        if (health is not null)
        {
            AppendHealth(html, health);
        }

        html.Append("<p>JSON: <a href=\"/api/syncs\">/api/syncs</a></p></body></html>");
        return html.ToString();
    }

    /// <summary>Every report a connector made, a sync's or one no sync claims, and the connections that could not be read.</summary>
    private static void AppendHealth(StringBuilder html, SyncHealthSnapshot health)
    {
        var reports = health.Syncs.Select(s => s.Health).OfType<HealthReport>().Concat(health.Findings).ToList();
        var problems = health.Syncs.Where(s => s.Problem is not null).Select(s => $"{s.Name}: {s.Problem}").Concat(health.Problems).ToList();
        if (reports.Count == 0 && problems.Count == 0)
        {
            return;
        }

        html.Append("<h2>Health</h2><table><tr><th>sync</th><th>watching</th><th>state</th><th>lines</th><th>what to do</th></tr>");
        foreach (var report in reports)
        {
            html.Append("<tr><td>").Append(E(report.Sync ?? "—")).Append("</td><td>").Append(E(report.Subject)).Append("</td><td class=\"")
                .Append(report.State.ToString().ToLowerInvariant()).Append("\">").Append(E(report.StateText)).Append("</td><td class=\"lines\">");
            html.AppendJoin("<br>", report.Lines.Select(l => E(Line(l))));
            html.Append("</td><td>");
            html.AppendJoin("<br>", report.Messages.Select(E));
            html.Append("</td></tr>");
        }

        foreach (var problem in problems)
        {
            html.Append("<tr><td colspan=\"5\" class=\"err\">").Append(E(problem)).Append("</td></tr>");
        }

        html.Append("</table>");
    }

    /// <summary>A health line as <c>/metrics</c> writes it: <c>name{label="value",…} value</c>.</summary>
    private static string Line(HealthLine line) =>
        line.Name + (line.Labels.Count == 0 ? "" : "{" + string.Join(",", line.Labels.Select(l => $"{l.Key}=\"{l.Value}\"")) + "}")
        + " " + line.Value.ToString("G", CultureInfo.InvariantCulture);

    private static void AppendIngest(StringBuilder html, IngestBacklog? backlog, DateTimeOffset now)
    {
        if (backlog is null)
        {
            html.Append("<td class=\"num\">—</td><td class=\"num\">—</td>");
            return;
        }

        html.Append("<td class=\"num\">").Append(N(backlog.Events));
        if (backlog.OldestReceivedAt is { } oldest)
        {
            html.Append(" (oldest ").Append(E(Ago(now - oldest))).Append(')');
        }

        html.Append("</td><td class=\"num").Append(backlog.Lost > 0 ? " failed" : "").Append("\">").Append(N(backlog.Lost)).Append("</td>");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Ago(TimeSpan age) => age.TotalSeconds < 60 ? $"{age.TotalSeconds:0} s ago"
        : age.TotalMinutes < 60 ? $"{age.TotalMinutes:0} min ago"
        : $"{age.TotalHours:0.#} h ago";
}
