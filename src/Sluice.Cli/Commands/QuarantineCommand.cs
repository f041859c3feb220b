using System.CommandLine;
using System.Globalization;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Server.Hosting;
using Sluice.State;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice quarantine list|release|drop</c>: the events a sync's <c>validate:</c> rules held back (S5).</summary>
internal static class QuarantineCommand
{
    private static readonly string[] Columns = ["id", "sync", "messageId", "when (UTC)", "failed rules"];

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
            StoredLetters.PrintListing(events, total, syncName, "quarantined event", "nothing quarantined",
                releasable => $"Once the reference data is fixed: sluice quarantine release {releasable} --all (or --id N)",
                withPayload ? [.. Columns, "event"] : Columns, e => Cells(e, withPayload));
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
        if (!StoredLetters.SelectionIsClear(ids, all, "release", "events", $"sluice quarantine list {syncName}"))
        {
            return ExitCodes.Usage;
        }

        var config = SluiceConfig.Load(configPath);
        await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
        return await ReleaseAsync(workspace, syncName, all ? null : ids, ct);
    }

    /// <summary>
    /// Releases <paramref name="syncName"/>'s quarantined events (<paramref name="ids"/>, or all when null) and prints
    /// what became of them; the exit code. <c>sluice demo</c> releases its gateway's quarantine through here too.
    /// </summary>
    internal static async Task<int> ReleaseAsync(SluiceWorkspace workspace, string syncName, long[]? ids, CancellationToken ct)
    {
        await using var opened = await StoredLetters.OpenAsync(workspace, syncName, syncName, "a release", ct);
        if (opened is null)
        {
            return ExitCodes.Failure;
        }

        var (definition, destination) = (opened.Definition, opened.Definition.Destination);
        var release = new DeadLetterReplay(opened.Store.DeadLetters, destination, definition.Gate, definition.Options.Retry, workspace.Time)
        {
            DestinationConnection = definition.DestinationConnection,
            Revalidate = definition.Processors,
        };
        var result = await release.ReplayAsync(opened.Lease, ids, Output.Interactive ? settled => Output.Hint($"{settled:N0} settled…") : null, ct);
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

    private static IEnumerable<string> Cells(StoredDeadLetter e, bool withPayload)
    {
        yield return e.Id.ToString(CultureInfo.InvariantCulture);
        yield return e.SyncName;
        yield return e.MessageId ?? e.RecordKey;
        yield return StoredLetters.When(e.CreatedAt);
        yield return e.ReplayAttempts > 0 ? $"{e.Reason} (checked again {e.ReplayAttempts} time(s))" : e.Reason;
        if (withPayload)
        {
            yield return e.Payload ?? "";
        }
    }
}
