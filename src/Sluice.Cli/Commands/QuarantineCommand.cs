using System.CommandLine;
using System.Globalization;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Server.Hosting;
using Sluice.State;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice quarantine list|release|drop</c>: the events a sync's <c>validate:</c> rules held back (S5).</summary>
internal static class QuarantineCommand
{
    public static Command Create()
    {
        var command = new Command("quarantine",
            """
            The quarantine: events a sync's validate: rules held back because a value they name is not in its
            reference table (an unknown user, a product not yet in the catalogue). Each is kept with every rule it
            failed; the rest of its batch was sent. Once the reference data is fixed, release them: they are checked
            again and what now passes is sent, under its own messageId. What should never be sent, drop.

            Examples:
              sluice quarantine list
              sluice quarantine list web_to_segment --reason product
              sluice quarantine release web_to_segment --all
              sluice quarantine drop web_to_segment --id 17 --reason "test traffic"
            """);
        command.Subcommands.Add(List());
        command.Subcommands.Add(Release());
        command.Subcommands.Add(Drop());
        return command;
    }

    private static Command List()
    {
        var sync = new Argument<string?>("sync") { Description = "Only this sync's quarantine. Default: every sync.", Arity = ArgumentArity.ZeroOrOne };
        var reason = new Option<string?>("--reason") { Description = "Only events whose reason contains this text (a rule's name, a value, a table; case-insensitive)." };
        var limit = new Option<int>("--limit", "-n") { Description = "Show the latest N events.", DefaultValueFactory = _ => 50 };
        var showPayload = new Option<bool>("--show-payload") { Description = "Also print the event. It may hold personal data: mind where the output goes." };
        var command = new Command("list",
            """
            List quarantined events, latest last: id, sync, messageId, when (UTC) and every rule it failed.
            Reads the state store only. Output to a pipe or file is one tab-separated line per event.
            """)
        {
            sync, reason, limit, showPayload,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var count = parse.GetValue(limit);
            if (count < 1)
            {
                Output.Error("--limit must be 1 or more");
                return ExitCodes.Usage;
            }

            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            var syncName = parse.GetValue(sync);
            if (syncName is not null)
            {
                workspace.FindSync(syncName);
            }

            var store = await workspace.StateAsync(ct);
            var withPayload = parse.GetValue(showPayload);
            var (events, total) = await store.Quarantine.ListAsync(syncName, parse.GetValue(reason), count, withPayload, ct);
            if (total == 0)
            {
                Output.Line(syncName is null ? "nothing quarantined" : $"nothing quarantined for sync '{syncName}'");
                return ExitCodes.Ok;
            }

            Print(events, withPayload);
            var releasable = syncName ?? (events.Select(l => l.SyncName).Distinct().Count() == 1 ? events[0].SyncName : "SYNC");
            Output.Hint($"{(events.Count < total ? $"the latest {events.Count} of {total:N0}" : $"{total:N0}")} quarantined event(s)" +
                (events.Count < total ? "; --limit shows more" : "") +
                $". Once the reference data is fixed: sluice quarantine release {releasable} --all (or --id N)");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Release()
    {
        var sync = new Argument<string>("sync") { Description = "The sync whose quarantine to release, as named under 'syncs:'." };
        var ids = new Option<long[]>("--id") { Description = "An event to release, by the id `sluice quarantine list` shows; repeat for several.", AllowMultipleArgumentsPerToken = true };
        var all = new Option<bool>("--all") { Description = "Release every event the sync holds in quarantine." };
        var command = new Command("release",
            """
            Check quarantined events again against today's reference data, with the sync's validate: rules as
            configured now, and send what passes through the sync's destination, under the messageId it came with
            (so Segment takes it once, and a second release sends nothing). What still fails stays quarantined,
            with today's reasons. A release is a run of the sync (kind 'replay'): it holds the sync's run lock, so
            stop a streaming sync (`sluice run`) first.

            Exit code: 0 when every event asked for was sent, 1 when some still fail or could not be sent.
            """)
        {
            sync, ids, all,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(() =>
            ReleaseAsync(parse.GetValue(CliOptions.Config)!, parse.GetValue(sync)!, parse.GetValue(ids) ?? [], parse.GetValue(all), ct)));
        return command;
    }

    private static Command Drop()
    {
        var sync = new Argument<string>("sync") { Description = "The sync whose quarantined events to drop." };
        var ids = new Option<long[]>("--id") { Description = "An event to drop, by the id `sluice quarantine list` shows; repeat for several.", AllowMultipleArgumentsPerToken = true };
        var all = new Option<bool>("--all") { Description = "Drop every event the sync holds in quarantine." };
        var reason = new Option<string>("--reason") { Description = "Why (kept with the event, shown by `sluice explain`). Required.", Required = true };
        var command = new Command("drop",
            """
            Drop quarantined events for good: they are never sent. Each keeps the reason given, for the record
            (`sluice explain`, and the quarantine view in the state store).
            """)
        {
            sync, ids, all, reason,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var syncName = parse.GetValue(sync)!;
            var chosen = parse.GetValue(ids) ?? [];
            var everything = parse.GetValue(all);
            var why = parse.GetValue(reason)!;
            if (chosen.Length == 0 == !everything)
            {
                Output.Error(everything ? "--all and --id contradict each other" : "say which events to drop: --all, or --id N (repeatable)");
                return ExitCodes.Usage;
            }

            if (string.IsNullOrWhiteSpace(why))
            {
                Output.Error("--reason is empty; say why these events are dropped");
                return ExitCodes.Usage;
            }

            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            workspace.FindSync(syncName);
            var store = await workspace.StateAsync(ct);
            var dropped = await store.Quarantine.DropAsync(syncName, everything ? null : chosen, why, ct);
            foreach (var missing in chosen.Except(dropped))
            {
                Output.Warn($"no event {missing} is quarantined in sync '{syncName}' (never was, or already released or dropped)");
            }

            Output.Line($"{syncName}: {dropped.Count:N0} dropped");
            return chosen.Except(dropped).Any() ? ExitCodes.Failure : ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<int> ReleaseAsync(string configPath, string syncName, long[] ids, bool all, CancellationToken ct)
    {
        if (ids.Length == 0 == !all)
        {
            Output.Error(all ? "--all and --id contradict each other" : "say which events to release: --all, or --id N (repeatable)");
            Output.Hint($"see them with: sluice quarantine list {syncName}");
            return ExitCodes.Usage;
        }

        var config = SluiceConfig.Load(configPath);
        await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
        var definition = workspace.Build(workspace.FindSync(syncName));
        await using var source = definition.Source;
        await using var destination = definition.Destination;
        var store = await workspace.StateAsync(ct);
        await using var lease = await store.TryAcquireAsync(syncName, ct);
        if (lease is null)
        {
            Output.Error($"sync '{syncName}' is running (another sluice process holds its lock)");
            Output.Hint("a release must not interleave with the live sync: wait for the run to end, or stop it (a streaming sync runs as long as `sluice run`), then release");
            return ExitCodes.Failure;
        }

        var release = new DeadLetterReplay(store.DeadLetters, destination, definition.Gate, definition.Options.Retry, workspace.Time)
        {
            DestinationConnection = definition.DestinationConnection,
            Revalidate = definition.Processors,
        };
        var result = await release.ReplayAsync(lease, all ? null : ids, Output.Interactive ? settled => Output.Hint($"{settled:N0} settled…") : null, ct);
        foreach (var id in result.NotFound)
        {
            Output.Warn($"no quarantined event {id} in sync '{syncName}'");
        }

        foreach (var id in result.AlreadyDelivered)
        {
            Output.Hint($"event {id} was already released or dropped; not sent again");
        }

        Output.Line($"{syncName}: {result.Delivered:N0} released to {destination.Description}, {result.Refused.Count:N0} still quarantined");
        foreach (var group in result.Refused.GroupBy(l => l.Reason).Take(5))
        {
            Output.Fail($"{group.Count():N0} × {group.Key} (e.g. event {group.First().Id}, messageId {group.First().MessageId})");
        }

        if (result.StoppedBy is { } stopped)
        {
            Output.Error($"the release stopped: {stopped}");
            Output.Hint($"released events are recorded; run `sluice quarantine release {syncName} --all` again once {destination.Description} answers");
        }

        return result.StoppedBy is null && result.Refused.Count == 0 && result.Unreplayable.Count == 0 && result.NotFound.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
    }

    private static void Print(IReadOnlyList<StoredDeadLetter> events, bool withPayload)
    {
        string[] Cells(StoredDeadLetter e)
        {
            var cells = new List<string>
            {
                e.Id.ToString(CultureInfo.InvariantCulture), e.SyncName, e.MessageId ?? e.RecordKey,
                e.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                e.ReplayAttempts > 0 ? $"{e.Reason} (checked again {e.ReplayAttempts} time(s))" : e.Reason,
            };
            if (withPayload)
            {
                cells.Add(e.Payload ?? "");
            }

            return [.. cells];
        }

        if (!Output.Interactive)
        {
            foreach (var e in events)
            {
                Console.Out.WriteLine(string.Join('\t', Cells(e).Select(c => c.Replace('\t', ' ').Replace('\r', ' ').Replace('\n', ' '))));
            }

            return;
        }

        var table = new Table().Border(TableBorder.Simple).AddColumn("id").AddColumn("sync").AddColumn("messageId").AddColumn("when (UTC)").AddColumn("failed rules");
        if (withPayload)
        {
            table.AddColumn("event");
        }

        foreach (var e in events)
        {
            table.AddRow(Cells(e).Select(c => Markup.Escape(c)).ToArray());
        }

        AnsiConsole.Write(table);
    }
}
