using System.Text;
using System.Text.Json;
using Sluice.Core.Configuration;
using Sluice.State;
using static Sluice.Server.Dashboard.Internal.Html;

namespace Sluice.Server.Dashboard;

/// <summary>
/// <c>sluice explain</c> in the browser: search a record by key (or an ingested event by its messageId) in a sync, and
/// see every acknowledged send (run, batch, message id), every dead letter and quarantine with its reason and payload,
/// and the ledger's word on why it was or was not sent. Read from the state store by <see cref="RecordHistory"/>, the
/// queries <c>sluice explain</c> runs.
/// </summary>
internal static class RecordPage
{
    /// <summary>What <see cref="RecordHistory"/> found about one record.</summary>
    public sealed record Found(
        string Key, string? ByMessageId, IReadOnlyList<RecordEvent> Events, StoredRecordState? State, StoredDeadLetterPayload? Letter, bool SyncKnown);

    public static string Render(IReadOnlyList<SyncConfig> syncs, string? syncName, string? key, Found? found)
    {
        var html = new StringBuilder();
        html.Append("<h1>Explain a record</h1><form method=\"get\" action=\"/records\" role=\"search\" class=\"inline\">")
            .Append("<label for=\"sync\">Sync</label><select id=\"sync\" name=\"sync\">");
        foreach (var sync in syncs)
        {
            html.Append("<option").Append(sync.Name == syncName ? " selected" : "").Append('>').Append(E(sync.Name)).Append("</option>");
        }

        html.Append("</select> <label for=\"key\">Record key or messageId</label><input type=\"search\" id=\"key\" name=\"key\" value=\"").Append(E(key))
            .Append("\" required> <button type=\"submit\" class=\"primary\">Explain</button></form>");
        if (found is null || syncName is null)
        {
            html.Append("<p class=\"muted\">Every send of a record, its payload, the destination's answer, and why it was or was not sent.</p>");
            return html.ToString();
        }

        if (found.ByMessageId is { } messageId)
        {
            html.Append("<p class=\"muted\">messageId ").Append(E(messageId)).Append(" is record ").Append(E(found.Key)).Append(".</p>");
        }

        if (found.Events.Count == 0 && found.State is null)
        {
            html.Append("<p>").Append(found.SyncKnown
                ? E($"{syncName}: record {found.Key} has no history: no run has sent or dead-lettered it. It may be filtered out by the source, or unchanged since before the sync's first run, or the key is written differently (keys are compared as text).")
                : E($"{syncName}: the sync has never run.")).Append("</p>");
            return html.ToString();
        }

        var sent = found.Events.Count(e => e.What == "acknowledged");
        html.Append("<h2>").Append(E($"{syncName}, record {found.Key}")).Append("</h2><p>").Append(N(sent)).Append(" acknowledged send(s), ")
            .Append(N(found.Events.Count - sent)).Append(" dead letter(s) or quarantine(s).</p>");
        if (found.Events.Count > 0)
        {
            html.Append("<div class=\"scroll\"><table><caption class=\"sr\">Every send and refusal, oldest first</caption><thead><tr><th scope=\"col\">when (UTC)</th><th scope=\"col\">run</th>")
                .Append("<th scope=\"col\">what</th><th scope=\"col\">message id</th><th scope=\"col\">the destination's answer</th></tr></thead><tbody>");
            foreach (var e in found.Events)
            {
                var cls = e.What switch { "acknowledged" => "sent", "quarantined" => "quarantined", _ => "dead-lettered" };
                var answer = e.What == "acknowledged" ? $"acknowledged ({e.Detail}{(e.Batch is { } batch ? $", batch {batch}" : "")})" : e.Detail;
                html.Append("<tr><td>").Append(When(e.At)).Append("</td><td>").Append(e.RunId).Append(" (").Append(E(e.RunKind)).Append(")</td><td class=\"").Append(cls).Append("\">")
                    .Append(E(e.What)).Append("</td><td><code>").Append(E(e.MessageId ?? "—")).Append("</code></td><td>").Append(E(answer)).Append("</td></tr>");
            }

            html.Append("</tbody></table></div>");
        }

        html.Append("<h2>Why</h2>");
        foreach (var line in Why(syncName, found))
        {
            html.Append("<p>").Append(E(line)).Append("</p>");
        }

        if (found.Letter?.Payload is { } payload)
        {
            html.Append("<h3>Payload (what would have been sent)</h3><pre>").Append(E(PrettyJson(payload))).Append("</pre>");
        }
        else if (sent > 0)
        {
            html.Append("<p class=\"muted\">An acknowledged send's payload is not stored (the ledger keeps its message id, which the destination deduplicates on); ")
                .Append("<a href=\"/plan?sync=").Append(U(syncName)).Append("\">plan</a> shows what the next run would send.</p>");
        }

        return html.ToString();
    }

    /// <summary>The ledger's word on the record, as <c>sluice explain</c> says it.</summary>
    private static IEnumerable<string> Why(string syncName, Found found)
    {
        var state = found.State;
        var letter = found.Letter;
        if (state is null)
        {
            if (letter is not null)
            {
                yield return DeadLettered(letter, syncName);
            }
            else
            {
                yield return "the sync keeps no per-record ledger (a cursor or streaming sync to a destination that gives no ids): its sends above are its memory";
            }

            yield break;
        }

        var by = (state.Origin is { } origin ? $" by sync '{origin}'" : "") + (state.RunId is { } run ? $" in run {run}" : "");
        yield return $"ledger: {state.Status?.Replace('_', '-') ?? "stored"}{by}, last changed {state.UpdatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC; " +
            (state.DestinationId is { } id ? $"destination id {id}" : "no destination id (the destination gives none, or has not acknowledged it)");
        switch (state.Status)
        {
            case "sent":
                yield return "sent: the destination acknowledged the version last committed";
                break;
            case "left_out" when state.SkipReason is { } reason:
                yield return $"not sent: skipped — {reason}; handled all the same, so it is not sent until it changes again";
                break;
            case "left_out":
                yield return "not sent: left out — the sync's mode (on: …) does not send this kind of change, or the destination had nothing to send for it; it is not sent until it changes again";
                break;
            case "dead_lettered" or "waiting":
                yield return DeadLettered(letter, syncName);
                break;
            case "quarantined" when letter is { Kind: "quarantined", Pending: true }:
                yield return $"not sent: quarantined — {letter.Reason}; release it on the sync's page once the reference data is fixed";
                break;
            case "quarantined":
                yield return "quarantined — since released or dropped (see above)";
                break;
        }

        if (state.Fingerprint is { } fingerprint)
        {
            yield return $"fingerprint of the version last committed: {fingerprint}; the next run sends this record again only if its mapped values no longer match it";
        }
    }

    private static string DeadLettered(StoredDeadLetterPayload? letter, string syncName) => letter switch
    {
        { Kind: "quarantined", Pending: true } => $"not sent: quarantined — {letter.Reason}; release it on the page of {syncName} once the reference data is fixed",
        { Kind: "waiting", Pending: true } => $"not sent: waiting since {letter.At.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC — {letter.Reason}; offered again {letter.Attempts} time(s) so far",
        { Pending: true } => $"not sent: dead-lettered — {letter.Reason}; fix the cause, then replay it on the page of {syncName}",
        { } => $"dead-lettered — {letter.Reason} (replayed or dropped since)",
        null => "not sent: dead-lettered — the reason is no longer in the dead-letter queue",
    };
}
