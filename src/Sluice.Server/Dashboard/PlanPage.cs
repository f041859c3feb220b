using System.Globalization;
using System.Text;
using Sluice.Core.Engine;
using Sluice.Core.Records;
using static Sluice.Server.Dashboard.Internal.Html;

namespace Sluice.Server.Dashboard;

/// <summary>
/// What each sync would send now, before anything is sent: <c>sluice plan</c>'s numbers, calls, refusals and a sample
/// payload, from the same planner (<see cref="Hosting.SluiceWorkspace.PlanAsync"/>). Nothing is sent, no state written.
/// </summary>
internal static class PlanPage
{
    /// <summary>One sync's entry: its plan, or why there is none (it streams, or it could not be planned).</summary>
    public sealed record Entry(string Sync, SyncPlan? Plan, string? Instead, bool Failed);

    public static string Render(IReadOnlyList<string> syncs, string? chosen, IReadOnlyList<Entry> entries)
    {
        var html = new StringBuilder();
        html.Append("<h1>Plan</h1><p class=\"muted\">What each sync's next run would send, read and encoded now, as <code>sluice plan</code> does: nothing is sent and nothing is written.</p>")
            .Append("<nav aria-label=\"Plan one sync\"><p>Plan: <a href=\"/plan\"").Append(chosen is null ? " aria-current=\"page\"" : "").Append(">every sync</a>");
        foreach (var sync in syncs)
        {
            html.Append(" · <a href=\"/plan?sync=").Append(U(sync)).Append('"').Append(sync == chosen ? " aria-current=\"page\"" : "").Append('>').Append(E(sync)).Append("</a>");
        }

        html.Append("</p></nav>");
        foreach (var entry in entries)
        {
            html.Append("<section aria-labelledby=\"plan-").Append(E(entry.Sync)).Append("\"><h2 id=\"plan-").Append(E(entry.Sync)).Append("\"><a href=\"/syncs/").Append(U(entry.Sync)).Append("\">")
                .Append(E(entry.Sync)).Append("</a></h2>");
            if (entry.Plan is not { } plan)
            {
                html.Append("<p").Append(entry.Failed ? " class=\"err\"" : "").Append('>').Append(E(entry.Instead)).Append("</p></section>");
                continue;
            }

            html.Append("<p>").Append(E(plan.Source)).Append(" → ").Append(E(plan.Destination)).Append(", ")
                .Append(plan.Incremental ? "from the stored checkpoint" : "from the beginning (no checkpoint yet)").Append("; read and encoded in ")
                .Append(plan.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)).Append(" s</p>")
                .Append("<div class=\"scroll\"><table><caption class=\"sr\">What the next run of ").Append(E(plan.Sync)).Append(" would do</caption><tbody>");
            if (plan.Diffs)
            {
                Row(html, "added", plan.Added);
                Row(html, "changed", plan.Changed);
                Row(html, "deleted", plan.Deleted);
                Row(html, $"left out by the mode (on: [{SyncModes.Names(plan.Mode)}])", plan.LeftOut);
            }
            else
            {
                Row(html, "to send (new or updated since the cursor)", plan.Unclassified);
            }

            Row(html, "would be sent", plan.WouldSend);
            Row(html, "would be dead-lettered", plan.WouldDeadLetter, plan.WouldDeadLetter > 0 ? "err" : null);
            if (plan.WouldQuarantine + plan.WouldWait + plan.WouldDrop > 0)
            {
                Row(html, "would be quarantined by a processor", plan.WouldQuarantine, plan.WouldQuarantine > 0 ? "warning" : null);
                Row(html, "would wait (deferred by a processor)", plan.WouldWait);
                Row(html, "would be dropped by a processor", plan.WouldDrop);
            }

            html.Append("</tbody></table></div><p>calls: ")
                .Append(plan.Calls.Count == 0 ? "none" : E(string.Join(", ", plan.Calls.Select(c => $"{N(c.Count)} × {c.Type}")))).Append("</p>");
            foreach (var refusal in plan.Refusals.Take(20))
            {
                html.Append("<p class=\"warning\">").Append(E($"would hold back or dead-letter record {refusal.Key}: {refusal.Reason}")).Append("</p>");
            }

            foreach (var sample in plan.Samples)
            {
                var kind = sample.Kind == ChangeKinds.None ? "" : $"{SyncModes.Names(sample.Kind)}, ";
                html.Append("<p>sample: record ").Append(E(sample.Key)).Append(" (").Append(E(kind)).Append(E(sample.Operation.ToString().ToLowerInvariant()))
                    .Append(")</p><pre>").Append(E(PrettyJson(sample.Payload))).Append("</pre>");
            }

            html.Append("</section>");
        }

        return html.ToString();
    }

    private static void Row(StringBuilder html, string what, long count, string? cls = null) =>
        html.Append("<tr><th scope=\"row\"").Append(cls is null ? "" : $" class=\"{cls}\"").Append('>').Append(E(what)).Append("</th><td class=\"num\">").Append(N(count)).Append("</td></tr>");
}
