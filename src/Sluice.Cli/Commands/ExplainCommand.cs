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
            and every time it was dead-lettered, with the reason. Reads the state store only; sends nothing.

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
            if (events.Count == 0 && state is null)
            {
                Output.Line(await history.KnowsSyncAsync(syncName, ct)
                    ? $"{syncName}: record {recordKey} has no history: no run has sent or dead-lettered it. It may be filtered out by the source, " +
                      "or unchanged since before the sync's first run, or the key is written differently (keys are compared as text)."
                    : $"{syncName}: the sync has never run; start it with `sluice sync {syncName}`.");
                return ExitCodes.Ok;
            }

            var sent = events.Count(e => e.What == "acknowledged");
            Output.Line($"{syncName}, record {recordKey}: {sent} acknowledged send(s), {events.Count - sent} dead letter(s)");
            var table = new Table().Border(TableBorder.Simple)
                .AddColumn("when (UTC)").AddColumn("run").AddColumn("what").AddColumn("message id").AddColumn("detail");
            foreach (var e in events)
            {
                var detail = e.Batch is { } batch ? $"{e.Detail}, batch {batch}" : e.Detail ?? "";
                table.AddRow(
                    Markup.Escape(e.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
                    Markup.Escape($"{e.RunId} ({e.RunKind})"),
                    e.What == "acknowledged" ? "[green]acknowledged[/]" : "[red]dead-lettered[/]",
                    Markup.Escape(e.MessageId ?? "—"),
                    Markup.Escape(detail));
            }

            AnsiConsole.Write(table);
            PrintState(state);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void PrintState(Sluice.State.StoredRecordState? state)
    {
        if (state is null)
        {
            return;
        }

        Output.Line($"fingerprint of the version last committed: {state.Fingerprint} (at {state.UpdatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC)" +
            (state.WatchedValues is { } watched ? $"; watched values {watched}" : ""));
        Output.Hint("the next run sends this record again only if its mapped values no longer match this fingerprint");
    }
}
