using System.CommandLine;
using System.Globalization;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Server.Hosting;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice explain SYNC KEY</c>: why did this record (not) sync?</summary>
internal static class ExplainCommand
{
    public static Command Create()
    {
        var sync = new Argument<string>("sync") { Description = "The sync, as named under 'syncs:'." };
        var key = new Argument<string>("key") { Description = "The record key as text (for a composite key, the JSON array shown in dead letters, e.g. [\"org-1\",\"42\"])." };
        var command = new Command("explain",
            """
            Show one record's history in a sync: every time it was sent and acknowledged (run, batch, messageId)
            and every time it was dead-lettered or quarantined, with the reason. KEY may also be an ingested
            event's messageId. Reads the state store only; sends nothing.

            Example:
              sluice explain users_to_segment 42
            """)
        {
            sync, key,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            var syncName = workspace.FindSync(parse.GetValue(sync)!).Name;
            var recordKey = parse.GetValue(key)!;
            var history = await workspace.HistoryAsync(ct);
            var events = await history.LoadAsync(syncName, recordKey, ct);
            var state = await history.LoadStateAsync(syncName, recordKey, ct);
            if (events.Count == 0 && state is null && await history.KeyOfMessageIdAsync(syncName, recordKey, ct) is { } byMessageId)
            {
                // An ingested event is known to its sender by its messageId, and to the sync by its event id.
                Output.Hint($"messageId {recordKey} is record {byMessageId}");
                recordKey = byMessageId;
                events = await history.LoadAsync(syncName, recordKey, ct);
                state = await history.LoadStateAsync(syncName, recordKey, ct);
            }

            // A sync without a record ledger (a cursor sync to a destination that gives no ids) still has its dead letters.
            var lastDeadLettered = state is null && events.Count > 0 && events[^1].What != "acknowledged";
            var letter = state?.Status is "dead_lettered" or "quarantined" || lastDeadLettered ? await history.LoadLastDeadLetterAsync(syncName, recordKey, ct) : null;
            var pruned = PrunedNote(await history.LoadPrunedAsync(syncName, ct));
            if (events.Count == 0 && state is null && (await history.LoadConflictsAsync(syncName, recordKey, ct)).Count == 0)
            {
                if (pruned is not null)
                {
                    Output.Line(pruned);
                }

                Output.Line(await history.KnowsSyncAsync(syncName, ct)
                    ? $"{syncName}: record {recordKey} has no history: no run has sent or dead-lettered it. It may be filtered out by the source, " +
                      "or unchanged since before the sync's first run, or the key is written differently (keys are compared as text)."
                    : $"{syncName}: the sync has never run; start it with `sluice sync {syncName}`.");
                return ExitCodes.Ok;
            }

            var sent = events.Count(e => e.What == "acknowledged");
            Output.Line($"{syncName}, record {recordKey}: {sent} acknowledged send(s), {events.Count - sent} dead letter(s)");
            if (pruned is not null)
            {
                Output.Line(pruned);
            }
            var table = new Table().Border(TableBorder.Simple)
                .AddColumn("when (UTC)").AddColumn("run").AddColumn("what").AddColumn("message id").AddColumn("detail");
            foreach (var e in events)
            {
                var detail = e.Batch is { } batch ? $"{e.Detail}, batch {batch}" : e.Detail ?? "";
                table.AddRow(
                    Markup.Escape(e.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
                    Markup.Escape($"{e.RunId} ({e.RunKind})"),
                    e.What switch { "acknowledged" => "[green]acknowledged[/]", "quarantined" => "[yellow]quarantined[/]", _ => "[red]dead-lettered[/]" },
                    Markup.Escape(e.MessageId ?? "—"),
                    Markup.Escape(detail));
            }

            if (events.Count > 0)
            {
                AnsiConsole.Write(table);
            }

            PrintState(state, letter, syncName);
            PrintConflicts(await history.LoadConflictsAsync(syncName, recordKey, ct));
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The conflicts a two-way pair resolved for the record: both values, when each side changed, the rule and the winner.</summary>
    private static void PrintConflicts(IReadOnlyList<Sluice.State.StoredConflict> conflicts)
    {
        if (conflicts.Count == 0)
        {
            return;
        }

        Output.Line($"two-way conflicts ({conflicts.Count}): fields changed on both sides since they last agreed");
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("resolved (UTC)").AddColumn("field").AddColumn("postgres").AddColumn("salesforce").AddColumn("rule").AddColumn("winner");
        foreach (var c in conflicts)
        {
            table.AddRow(
                Markup.Escape(c.ResolvedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
                Markup.Escape(c.Field),
                Markup.Escape(Side(c, "postgres")),
                Markup.Escape(Side(c, "salesforce")),
                Markup.Escape(c.Rule),
                Markup.Escape($"{c.Winner} (sync '{c.ResolvedBy}', run {c.RunId})"));
        }

        AnsiConsole.Write(table);
    }

    private static string Side(Sluice.State.StoredConflict conflict, string side) =>
        (conflict.ValueOf(side) is { } value ? $"'{value}'" : "null") +
        (conflict.ModifiedOf(side) is { } at ? $" modified {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)}" : "");

    /// <summary>
    /// The ledger entry: where the record stands and, when the last run did not send it, why. Explain reads the state
    /// store only, never the source: "unchanged" is said as the condition the next run applies.
    /// </summary>
    private static void PrintState(Sluice.State.StoredRecordState? state, Sluice.State.StoredDeadLetterPayload? letter, string syncName)
    {
        if (state is null)
        {
            if (letter is not null)
            {
                PrintDeadLetter(letter, syncName);
            }

            return;
        }

        var at = state.UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var by = (state.Origin is { } origin ? $" by sync '{origin}'" : "") + (state.RunId is { } run ? $" in run {run}" : "");
        Output.Line($"ledger: {state.Status?.Replace('_', '-') ?? "stored (before the ledger kept a status)"}{by}, last changed {at} UTC; " +
            (state.DestinationId is { } id ? $"destination id {id}" : "no destination id (the destination gives none, or has not acknowledged it)"));
        switch (state.Status)
        {
            case "left_out" when state.SkipReason is { } reason:
                Output.Line($"not sent: skipped — {reason}; handled all the same (not an error, not a dead letter), so it is not sent until it changes again");
                break;
            case "left_out":
                Output.Line("not sent: left out — the sync's mode (on: …) does not send this kind of change, or the destination had nothing to send " +
                    "for it (a transition that did not happen; in a records export's enrich mode, left out: enrich mode, no existing row with its key); " +
                    "it was handled all the same, so it is not sent until it changes again");
                break;
            case "dead_lettered":
                PrintDeadLetter(letter, syncName);
                break;
            case "quarantined" when letter is { Kind: "quarantined", Pending: true }:
                Output.Line($"not sent: quarantined — {letter.Reason}");
                Output.Hint($"fix the reference data, then `sluice quarantine release {syncName} --all` (or drop it: `sluice quarantine drop {syncName} --id … --reason …`)");
                break;
            case "quarantined" when letter is { Kind: "quarantined" }:
                Output.Line($"quarantined — {letter.Reason}; since released or dropped (see above)");
                break;
            case "quarantined":
                Output.Line("not sent: quarantined — a processor held it back for a person to look at; it is sent once released");
                break;
            case "waiting":
                PrintWaiting(letter);
                break;
        }

        if (state.Fingerprint is { } fingerprint)
        {
            Output.Line($"fingerprint of the version last committed: {fingerprint}" +
                (state.WatchedValues is { } watched ? $"; watched values {watched}" : ""));
            Output.Hint("the next run sends this record again only if its mapped values no longer match this fingerprint: an unchanged record is not sent");
        }
    }

    /// <summary>A waiting record: why, since when, how often it was offered again, and that the next run offers it again.</summary>
    private static void PrintWaiting(Sluice.State.StoredDeadLetterPayload? letter)
    {
        if (letter is not { Kind: "waiting", Pending: true })
        {
            Output.Line("not sent: waiting — it depends on a record (a parent) that has not been sent yet; it is sent once that one is");
            return;
        }

        var since = letter.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        Output.Line($"not sent: waiting since {since} UTC — {letter.Reason}; offered again {letter.Attempts} time(s) so far");
        Output.Hint("each run of the sync offers it again before reading new changes; a newer version replaces it, and past the sync's max_wait (7d by default) it becomes a dead letter");
    }

    private static void PrintDeadLetter(Sluice.State.StoredDeadLetterPayload? letter, string syncName)
    {
        if (letter is { Kind: "waiting", Pending: true })
        {
            PrintWaiting(letter);
            return;
        }

        Output.Line($"not sent: dead-lettered — {letter?.Reason ?? "the reason is no longer in the dead-letter queue"}" +
            (letter is { Pending: false } ? " (replayed since)" : ""));
        if (letter?.Payload is { } payload)
        {
            // Unwrapped, as stored: a payload is copied and pasted, and is often longer than a terminal line.
            Output.Line("payload (what would have been sent):");
            AnsiConsole.Profile.Out.Writer.WriteLine(payload);
        }

        if (letter is { Pending: true })
        {
            Output.Hint($"fix the cause, then `sluice dlq replay {syncName}`");
        }
    }

    /// <summary>What explain says when retention pruned some of the sync's history (docs/retention.md), or null.</summary>
    private static string? PrunedNote((DateTimeOffset? Sends, DateTimeOffset? DeadLetters)? pruned)
    {
        if (pruned is not { } p)
        {
            return null;
        }

        static string At(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
        var parts = new List<string>();
        if (p.Sends is { } sends)
        {
            parts.Add($"sends up to {At(sends)}");
        }

        if (p.DeadLetters is { } letters)
        {
            parts.Add($"resolved dead letters up to {At(letters)}");
        }

        return $"history pruned by state.retention: {string.Join(" and ", parts)} are no longer listed (what the sync needs to not send a record twice is kept)";
    }
}
