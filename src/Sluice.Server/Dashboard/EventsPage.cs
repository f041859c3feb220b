using System.Text;
using Sluice.State.Ingest;
using static Sluice.Server.Dashboard.Internal.Html;

namespace Sluice.Server.Dashboard;

/// <summary>
/// The last events the ingest sources accepted, newest first, like Segment's debugger: when, which source, the call,
/// and for each sync reading the source where the event landed (waiting, sent, dead-lettered, quarantined), with the
/// event's JSON folded away.
/// </summary>
internal static class EventsPage
{
    /// <summary>How many events the page shows.</summary>
    public const int Limit = 50;

    public static string Render(IReadOnlyList<IngestedEvent> events, int sources, DateTimeOffset now)
    {
        var html = new StringBuilder();
        html.Append("<h1>Live events</h1>");
        if (sources == 0)
        {
            html.Append("<p>The config declares no ingest source (<code>type: ingest</code>), so nothing arrives here.</p>");
            return html.ToString();
        }

        html.Append("<p class=\"muted\">The last ").Append(Limit).Append(" events accepted, newest first. Reloads every 5 s.</p>");
        if (events.Count == 0)
        {
            html.Append("<p>No events in the queue.</p>");
            return html.ToString();
        }

        html.Append("<div class=\"scroll\"><table><caption class=\"sr\">Accepted events, newest first</caption><thead><tr><th scope=\"col\">received</th><th scope=\"col\">source</th>")
            .Append("<th scope=\"col\">call</th><th scope=\"col\">landing</th><th scope=\"col\">event</th></tr></thead><tbody>");
        foreach (var e in events)
        {
            html.Append("<tr><td>").Append(When(e.ReceivedAt)).Append("<br><span class=\"muted\">").Append(E(Ago(now - e.ReceivedAt))).Append("</span></td><td>")
                .Append(E(e.Source)).Append("</td><td>").Append(E(e.Type)).Append(e.Event is { } name && name != e.Type ? $" <strong>{E(name)}</strong>" : "").Append("</td><td>");
            if (e.Landings.Count == 0)
            {
                html.Append("<span class=\"muted\">no sync reads this source</span>");
            }

            foreach (var landing in e.Landings)
            {
                html.Append("<div><a href=\"/records?sync=").Append(U(landing.Sync)).Append("&amp;key=").Append(U(e.EventId.ToString())).Append("\">").Append(E(landing.Sync))
                    .Append("</a>: <span class=\"").Append(E(landing.Status)).Append("\">").Append(E(landing.Status)).Append("</span>")
                    .Append(landing.Detail is { } detail ? $" <span class=\"muted\">({E(detail)})</span>" : "").Append("</div>");
            }

            html.Append("</td><td><details><summary><code>").Append(E(e.EventId.ToString())).Append("</code></summary><pre>").Append(E(PrettyJson(e.Payload))).Append("</pre></details></td></tr>");
        }

        html.Append("</tbody></table></div>");
        return html.ToString();
    }
}
