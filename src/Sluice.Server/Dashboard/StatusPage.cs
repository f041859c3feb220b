using System.Globalization;
using System.Net;
using System.Text;
using Sluice.State;
using Sluice.State.Ingest;

namespace Sluice.Server.Dashboard;

/// <summary>
/// The dashboard's one page: every sync, its schedule, its last run and its dead letters, and for a sync reading an
/// ingest source its backlog and the events deleted before it read them (lost).
/// </summary>
internal static class StatusPage
{
    public static string Render(
        IReadOnlyList<SyncStatus> syncs, IReadOnlyDictionary<string, string> schedules, DateTimeOffset now, IReadOnlyList<IngestBacklog>? ingest = null)
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

        html.Append("</table><p>JSON: <a href=\"/api/syncs\">/api/syncs</a></p></body></html>");
        return html.ToString();
    }

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
