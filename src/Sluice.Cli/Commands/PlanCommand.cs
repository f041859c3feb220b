using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Server.Hosting;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice plan [SYNC] [--samples N]</c>: what each sync's next run would send, sent nowhere.</summary>
internal static class PlanCommand
{
    private static readonly PayloadJson Pretty = new(new JsonSerializerOptions
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // shown to a person, not embedded in a page
    });

    public static Command Create()
    {
        var name = new Argument<string?>("sync") { Description = "The sync to plan, as named under 'syncs:'; every sync when left out.", Arity = ArgumentArity.ZeroOrOne };
        var samples = new Option<int>("--samples") { Description = "Payloads to show per sync (default 3; 0 for none).", DefaultValueFactory = _ => 3 };
        var command = new Command("plan",
            """
            Show what a sync's next run would do, without doing it: how many records were added, changed and
            deleted since the last run (or how many a cursor would read), which calls would go out, which records
            would be dead-lettered and why, and a few sample payloads exactly as they would be sent.

            The source is read and diffed against the stored checkpoint and fingerprints, and every record is
            encoded, as a run would. Nothing is sent, and nothing is written to the state store: no checkpoint
            moves, no run is recorded, and the sync's run lock is not taken.

            Examples:
              sluice plan
              sluice plan users_to_segment --samples 5
            """)
        {
            name,
            samples,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            var keep = parse.GetValue(samples);
            if (keep < 0)
            {
                throw new ConfigException(null, $"--samples is {keep}; it counts payloads to show", "give 0 or more, e.g. --samples 3");
            }

            if (parse.GetValue(name) is { } one)
            {
                Print(await workspace.PlanAsync(workspace.FindSync(one).Name, keep, ct));
                return ExitCodes.Ok;
            }

            if (config.Syncs.Count == 0)
            {
                Output.Line($"{config.FilePath} declares no syncs: nothing to plan.");
                return ExitCodes.Ok;
            }

            // Every sync is planned even when one cannot be: its error is reported and the exit code says so.
            var exit = ExitCodes.Ok;
            foreach (var sync in config.Syncs)
            {
                try
                {
                    if (await workspace.StreamsAsync(sync))
                    {
                        Output.Line($"{sync.Name}: follows a stream and sends each change as it arrives; nothing to plan (`sluice status` shows its lag)");
                        AnsiConsole.WriteLine();
                        continue;
                    }

                    Print(await workspace.PlanAsync(sync.Name, keep, ct));
                }
                catch (SluiceException e) when (!ct.IsCancellationRequested)
                {
                    Output.Error($"sync '{sync.Name}': {e.Message}");
                    exit = Math.Max(exit, e.Class == ErrorClass.Config ? ExitCodes.Usage : ExitCodes.Failure);
                }

                AnsiConsole.WriteLine();
            }

            return exit;
        }));
        return command;
    }

    private static void Print(SyncPlan plan)
    {
        var from = plan.Incremental ? "from the stored checkpoint" : "from the beginning (no checkpoint yet)";
        Output.Line($"{plan.Sync}: {plan.Source} → {plan.Destination}, {from}; read and encoded in {plan.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s");

        var table = new Table().Border(TableBorder.Simple).AddColumn("records").AddColumn(new TableColumn("count").RightAligned());
        if (plan.Diffs)
        {
            table.AddRow("added", Count(plan.Added));
            table.AddRow("changed", Count(plan.Changed));
            table.AddRow("deleted", Count(plan.Deleted));
            table.AddRow(Markup.Escape($"left out by the mode (on: [{SyncModes.Names(plan.Mode)}])"), Count(plan.LeftOut));
        }
        else
        {
            table.AddRow("to send (new or updated since the cursor)", Count(plan.Unclassified));
        }

        table.AddRow("would be sent", Count(plan.WouldSend));
        table.AddRow(plan.WouldDeadLetter > 0 ? "[red]would be dead-lettered[/]" : "would be dead-lettered", Count(plan.WouldDeadLetter));
        if (plan.WouldQuarantine + plan.WouldWait + plan.WouldDrop > 0)
        {
            table.AddRow(plan.WouldQuarantine > 0 ? "[yellow]would be quarantined by a processor[/]" : "would be quarantined by a processor", Count(plan.WouldQuarantine));
            table.AddRow("would wait (deferred by a processor)", Count(plan.WouldWait));
            table.AddRow("would be dropped by a processor", Count(plan.WouldDrop));
        }

        AnsiConsole.Write(table);

        Output.Line(plan.Calls.Count == 0
            ? "calls: none"
            : "calls: " + string.Join(", ", plan.Calls.Select(c => $"{c.Count.ToString("N0", CultureInfo.InvariantCulture)} × {c.Type}")));

        foreach (var refusal in plan.Refusals)
        {
            Output.Warn(refusal.Reason.StartsWith("quarantined — ", StringComparison.Ordinal) || refusal.Reason.StartsWith("waiting — ", StringComparison.Ordinal)
                ? $"would hold back record {refusal.Key}: {refusal.Reason}"
                : $"would dead-letter record {refusal.Key}: {refusal.Reason}");
        }

        for (var i = 0; i < plan.Samples.Count; i++)
        {
            var sample = plan.Samples[i];
            var kind = sample.Kind == ChangeKinds.None ? "" : $"{SyncModes.Names(sample.Kind)}, ";
            Output.Line($"sample {i + 1} of {plan.WouldSend.ToString("N0", CultureInfo.InvariantCulture)}: record {sample.Key} ({kind}{sample.Operation.ToString().ToLowerInvariant()})");
            var json = PrettyJson(sample.Payload);
            if (Output.Interactive)
            {
                AnsiConsole.Write(new Panel(new Text(json)).Border(BoxBorder.Rounded));
            }
            else
            {
                AnsiConsole.WriteLine(json);
            }
        }

        Output.Hint($"{plan.Sync}: nothing was sent and no state was written");
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string PrettyJson(string payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return JsonSerializer.Serialize(document.RootElement, Pretty.JsonElement);
        }
        catch (JsonException)
        {
            return payload;
        }
    }
}
