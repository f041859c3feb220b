using System.Globalization;
using System.Text;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Server.Dashboard.Internal;
using Sluice.Server.Metrics;
using Sluice.State;
using Sluice.State.Ingest;
using static Sluice.Server.Dashboard.Internal.Html;

namespace Sluice.Server.Dashboard;

/// <summary>
/// The dashboard's first page: every sync with its state, schedule, last and next run, lag (checkpoint age, ingest
/// backlog, and what its connectors watch: a CDC slot's lag, an API's quota) and records per run over its last runs;
/// then every health report (<see cref="IHealthReporting"/>), with the same lines <c>/metrics</c> exports.
/// </summary>
internal static class SyncsPage
{
    /// <summary>How many runs the chart of each sync shows.</summary>
    public const int ChartRuns = 20;

    public static string Render(
        IReadOnlyList<SyncStatus> syncs, IReadOnlyDictionary<string, Schedule> schedules, DateTimeOffset now, IReadOnlyList<IngestBacklog>? ingest = null,
        SyncHealthSnapshot? health = null, IReadOnlyDictionary<string, IReadOnlyList<StoredRun>>? runs = null)
    {
        var backlogs = (ingest ?? []).ToDictionary(b => b.Sync, StringComparer.Ordinal);
        var reports = (health?.Syncs ?? []).Where(s => s.Health is not null).ToDictionary(s => s.Name, s => s.Health!, StringComparer.Ordinal);
        var html = new StringBuilder();
        html.Append("<h1>Syncs</h1><p class=\"muted\">Reloads every 5 s. Each sync's name opens its runs, dead letters, quarantine and config.</p>")
            .Append("<div class=\"scroll\"><table><caption class=\"sr\">Every sync</caption><thead><tr><th scope=\"col\">sync</th><th scope=\"col\">state</th><th scope=\"col\">schedule</th>")
            .Append("<th scope=\"col\">last run</th><th scope=\"col\">next run</th><th scope=\"col\">lag</th><th scope=\"col\">records per run</th>")
            .Append("<th scope=\"col\" class=\"num\">read</th><th scope=\"col\" class=\"num\">acknowledged</th><th scope=\"col\" class=\"num\">rejected</th>")
            .Append("<th scope=\"col\" class=\"num\">dead letters</th><th scope=\"col\" class=\"num\">acknowledged, all runs</th></tr></thead><tbody>");
        var known = syncs.ToDictionary(s => s.Name, StringComparer.Ordinal);
        // The config's syncs in its order, then any the state store remembers that the config no longer has.
        var names = schedules.Keys.Concat(syncs.Select(s => s.Name).Where(n => !schedules.ContainsKey(n))).ToList();
        foreach (var name in names)
        {
            var sync = known.GetValueOrDefault(name);
            var schedule = schedules.GetValueOrDefault(name);
            var status = sync?.LastRunStatus ?? "never run";
            var state = sync switch
            {
                null or { LastRunStatus: null } => "never run",
                { LastRunStatus: "running" } => "running",
                { LastRunStatus: "failed" } => "failed",
                { DeadLetters: > 0 } => "needs attention",
                _ => "ok",
            };
            html.Append("<tr><th scope=\"row\"><a href=\"/syncs/").Append(U(name)).Append("\">").Append(E(name)).Append("</a></th>")
                .Append("<td class=\"").Append(state switch { "failed" => "failed", "needs attention" => "warning", "ok" => "ok", "running" => "running", _ => "muted" }).Append("\">").Append(E(state)).Append("</td>")
                .Append("<td>").Append(E(schedule?.ToString() ?? "not in config")).Append("</td><td>");
            if (sync?.LastRunStarted is { } started)
            {
                html.Append("<span class=\"").Append(E(status)).Append("\">").Append(E(status)).Append("</span> ").Append(E(Ago(now - started)));
            }
            else
            {
                html.Append('—');
            }

            html.Append("</td><td>").Append(E(NextRun(schedule, sync, now))).Append("</td><td>");
            AppendLag(html, sync, backlogs.GetValueOrDefault(name), reports.GetValueOrDefault(name), now);
            html.Append("</td><td>").Append(RunChart.Render(runs?.GetValueOrDefault(name))).Append("</td>")
                .Append("<td class=\"num\">").Append(sync is null ? "—" : N(sync.LastRunRead)).Append("</td>")
                .Append("<td class=\"num\">").Append(sync is null ? "—" : N(sync.LastRunAcknowledged)).Append("</td>")
                .Append("<td class=\"num\">").Append(sync is null ? "—" : N(sync.LastRunRejected)).Append("</td>")
                .Append("<td class=\"num\">").Append(sync is null ? "—" : N(sync.DeadLetters)).Append("</td>")
                .Append("<td class=\"num\">").Append(sync is null ? "—" : N(sync.TotalAcknowledged)).Append("</td></tr>");
            if (sync?.LastRunError is { } error)
            {
                html.Append("<tr><td></td><td colspan=\"11\" class=\"err\">").Append(E(error)).Append("</td></tr>");
            }

            if (sync is { Quarantined: > 0 })
            {
                html.Append("<tr><td></td><td colspan=\"11\" class=\"warning\">")
                    .Append(E(string.Create(CultureInfo.InvariantCulture, $"{sync.Quarantined:N0} quarantined by its validate: rules (not sent): release or drop them on the sync's page")))
                    .Append("</td></tr>");
            }

            if (backlogs.GetValueOrDefault(name) is { Lost: > 0 } lost)
            {
                html.Append("<tr><td></td><td colspan=\"11\" class=\"err\">")
                    .Append(E(string.Create(CultureInfo.InvariantCulture, $"{lost.Lost:N0} events of ingest source '{lost.Source}' were deleted before this sync read them (over max_backlog), the last {Ago(now - lost.LastLostAt!.Value)}")))
                    .Append("</td></tr>");
            }
        }

        html.Append("</tbody></table></div>");
        if (health is not null)
        {
            AppendHealth(html, health);
        }

        html.Append("<p>JSON: <a href=\"/api/syncs\">/api/syncs</a></p>");
        return html.ToString();
    }

    /// <summary>When the scheduler starts the sync next, as far as the page can tell without asking it.</summary>
    private static string NextRun(Schedule? schedule, SyncStatus? sync, DateTimeOffset now) => schedule switch
    {
        null => "—",
        { IsContinuous: true } => "continuous",
        { IsOnce: true } => sync?.LastRunStatus == "succeeded" ? "never (ran once)" : "once, at start",
        { Cron: { } cron } => cron.NextAfter(now) is { } next ? In(next - now) : "—",
        { Interval: { } every } => sync?.LastRunStarted is { } started ? In(started + every - now) : "due now",
        _ => "manual",
    };

    /// <summary>How far behind the sync is: its checkpoint's age, its ingest backlog, and its connectors' lines (slot lag, API quota).</summary>
    private static void AppendLag(StringBuilder html, SyncStatus? sync, IngestBacklog? backlog, HealthReport? health, DateTimeOffset now)
    {
        var parts = new List<string>();
        if (sync?.CheckpointUpdated is { } moved)
        {
            parts.Add($"checkpoint {E(Ago(now - moved))}");
        }

        if (backlog is not null)
        {
            parts.Add($"ingest backlog {N(backlog.Events)}" + (backlog.OldestReceivedAt is { } oldest ? $" (oldest {E(Ago(now - oldest))})" : ""));
        }

        if (health is not null)
        {
            parts.Add($"<span class=\"{health.State.ToString().ToLowerInvariant()}\">{E(health.Subject)}: {E(health.StateText)}</span>");
            parts.AddRange(health.Lines.Select(l => $"<span class=\"lines\">{E(Line(l))}</span>"));
        }

        html.Append(parts.Count == 0 ? "—" : string.Join("<br>", parts));
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

        html.Append("<h2>Health</h2><div class=\"scroll\"><table><tr><th>sync</th><th>watching</th><th>state</th><th>lines</th><th>what to do</th></tr>");
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

        html.Append("</table></div>");
    }

    /// <summary>A health line as <c>/metrics</c> writes it: <c>name{label="value",…} value</c>.</summary>
    private static string Line(HealthLine line) =>
        line.Name + (line.Labels.Count == 0 ? "" : "{" + string.Join(",", line.Labels.Select(l => $"{l.Key}=\"{l.Value}\"")) + "}")
        + " " + line.Value.ToString("G", CultureInfo.InvariantCulture);
}
