using System.CommandLine;
using System.Globalization;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Server.Hosting;
using Sluice.State;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice dlq list [SYNC]</c> and <c>sluice dlq replay SYNC --id N… | --all</c>: the dead-letter queue.</summary>
internal static class DlqCommand
{
    private const string BackfillSuffix = "#backfill";

    private static readonly string[] Columns = ["id", "sync", "key", "when (UTC)", "reason"];

    public static Command Create()
    {
        var command = new Command("dlq",
            """
            The dead-letter queue: records a destination refused for good (a missing table, a bad value, a refused
            event), each with the reason and what was to be sent. The run goes on without them; once the cause is
            fixed, replay them.

            Examples:
              sluice dlq list
              sluice dlq list events_to_warehouse --limit 200
              sluice dlq replay events_to_warehouse --all
            """);
        command.Subcommands.Add(List());
        command.Subcommands.Add(Replay());
        return command;
    }

    private static Command List()
    {
        var sync = new Argument<string?>("sync") { Description = "Only this sync's letters (a backfill's are under 'SYNC#backfill'). Default: every sync.", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int>("--limit", "-n") { Description = "Show the latest N letters.", DefaultValueFactory = _ => 50 };
        var replayed = new Option<bool>("--replayed") { Description = "Also show letters a replay delivered (they are out of the queue)." };
        var showPayload = new Option<bool>("--show-payload") { Description = "Also print what was to be sent. It may hold personal data: mind where the output goes." };
        var command = new Command("list",
            """
            List dead letters, latest last: id, sync, record key, when (UTC) and the reason, which says what to fix.
            Payloads are left out unless --show-payload is given. Reads the state store only.
            Output to a pipe or file is one tab-separated line per letter.

            Examples:
              sluice dlq list
              sluice dlq list events_to_warehouse --limit 500 --show-payload > letters.tsv
            """)
        {
            sync, limit, replayed, showPayload,
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
                workspace.FindSync(BaseName(syncName));
            }

            var store = await workspace.StateAsync(ct);
            var withPayload = parse.GetValue(showPayload);
            var (letters, total) = await store.DeadLetters.ListAsync(syncName, count, parse.GetValue(replayed), withPayload, ct);
            StoredLetters.PrintListing(letters, total, syncName, "dead letter", "no dead letters",
                replayable => $"Once the cause is fixed: sluice dlq replay {replayable} --all (or --id N)",
                withPayload ? [.. Columns, "payload"] : Columns, l => Cells(l, withPayload));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Replay()
    {
        var sync = new Argument<string>("sync") { Description = "The sync whose letters to replay, as named under 'syncs:' ('SYNC#backfill' for its backfill's)." };
        var ids = new Option<long[]>("--id") { Description = "A letter to replay, by the id `sluice dlq list` shows; repeat for several.", AllowMultipleArgumentsPerToken = true };
        var all = new Option<bool>("--all") { Description = "Replay every letter of the sync still in the queue." };
        var command = new Command("replay",
            """
            Send dead letters again, through the sync's destination as it is configured now, with the payload and
            message id first used (so a destination that deduplicates takes each once). Delivered letters leave the
            queue; a letter refused again stays, under the new reason.

            A replay is a run of the sync (kind 'replay', with an audit record, shown by `sluice status`); it waits
            out a pause the destination asked of any sync sending to it, and retries with backoff like a sync.
            It holds the sync's run lock, so it never interleaves with the live sync: if the sync is running
            (a streaming sync runs as long as `sluice run` does), stop it first. Letters refused before they were
            encoded have no payload to replay: fix the source record, and the sync sends it when it changes.

            Exit code: 0 when every letter was delivered, 1 when some were refused again or could not be sent.

            Examples:
              sluice dlq replay events_to_warehouse --all
              sluice dlq replay events_to_warehouse --id 17 --id 18
            """)
        {
            sync, ids, all,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(() =>
            ReplayAsync(parse.GetValue(CliOptions.Config)!, parse.GetValue(sync)!, parse.GetValue(ids) ?? [], parse.GetValue(all), ct)));
        return command;
    }

    private static async Task<int> ReplayAsync(string configPath, string syncName, long[] ids, bool all, CancellationToken ct)
    {
        if (!StoredLetters.SelectionIsClear(ids, all, "replay", "letters", $"sluice dlq list {syncName}"))
        {
            return ExitCodes.Usage;
        }

        var config = SluiceConfig.Load(configPath);
        await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
        await using var opened = await StoredLetters.OpenAsync(workspace, BaseName(syncName), syncName, "a replay", ct);
        if (opened is null)
        {
            return ExitCodes.Failure;
        }

        var (definition, destination) = (opened.Definition, opened.Definition.Destination);
        var replay = new DeadLetterReplay(opened.Store.DeadLetters, destination, definition.Gate, definition.Options.Retry, workspace.Time)
        {
            DestinationConnection = definition.DestinationConnection,
        };
        var result = await replay.ReplayAsync(opened.Lease, all ? null : ids, Output.Interactive ? settled => Output.Hint($"{settled:N0} settled…") : null, ct);
        return Report(syncName, destination.Description, result);
    }

    private static int Report(string syncName, string destination, DeadLetterReplayResult result)
    {
        foreach (var id in result.NotFound)
        {
            Output.Warn($"no dead letter {id} in sync '{syncName}'");
        }

        foreach (var id in result.AlreadyDelivered)
        {
            Output.Hint($"dead letter {id} was already delivered by an earlier replay; not sent again");
        }

        var refused = result.Refused.Count;
        var unreplayable = result.Unreplayable.Count;
        Output.Line($"{syncName}: replayed to {destination}: {result.Delivered:N0} delivered, {refused:N0} refused again" +
            (unreplayable > 0 ? $", {unreplayable:N0} with no payload to replay" : ""));
        foreach (var group in result.Refused.GroupBy(l => l.Reason).Take(5))
        {
            Output.Fail($"{group.Count():N0} × {group.Key} (e.g. letter {group.First().Id}, key {group.First().RecordKey})");
        }

        if (unreplayable > 0)
        {
            Output.Hint($"{unreplayable:N0} letter(s) were refused before they were encoded (e.g. letter {result.Unreplayable[0].Id}: {result.Unreplayable[0].Reason}); " +
                "fix the source record: the sync sends it again when it changes");
        }

        if (result.StoppedBy is { } stopped)
        {
            Output.Error($"the replay stopped: {stopped}");
            Output.Hint($"delivered letters are recorded; run `sluice dlq replay {syncName} --all` again once {destination} answers");
        }
        else if (refused > 0)
        {
            Output.Hint($"refused letters stay in the queue with the new reason: sluice dlq list {syncName}");
        }

        return result.StoppedBy is null && refused == 0 && unreplayable == 0 && result.NotFound.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
    }

    private static IEnumerable<string> Cells(StoredDeadLetter letter, bool withPayload)
    {
        yield return letter.Id.ToString(CultureInfo.InvariantCulture);
        yield return letter.SyncName;
        yield return letter.RecordKey;
        yield return When(letter.CreatedAt);
        yield return Reason(letter);
        if (withPayload)
        {
            // A terminal shows a letter without a payload as a dash; a pipe gets an empty field.
            yield return letter.Payload ?? (Output.Interactive ? "—" : "");
        }
    }

    private static string Reason(StoredDeadLetter letter) => letter.Kind switch
    {
        "quarantined" => $"quarantined: {letter.Reason}",
        "waiting" when letter.ReplayOutcome is null => $"waiting: {letter.Reason}",
        "waiting" when letter.ReplayOutcome == "waiting" => $"waiting: {letter.Reason} (offered again {letter.ReplayAttempts} time(s))",
        _ => DeadLetterReason(letter),
    };

    private static string DeadLetterReason(StoredDeadLetter letter) => letter.ReplayOutcome switch
    {
        "delivered" => $"delivered by a replay at {When(letter.ReplayedAt!.Value)}; was: {letter.Reason}",
        "refused" => $"{letter.Reason} (refused again, {letter.ReplayAttempts} replay(s))",
        "superseded" => $"superseded by a newer version at {When(letter.ReplayedAt!.Value)}, not sent; was: {letter.Reason}",
        _ => letter.Reason,
    };

    private static string When(DateTimeOffset at) => StoredLetters.When(at);

    private static string BaseName(string syncName) =>
        syncName.EndsWith(BackfillSuffix, StringComparison.Ordinal) ? syncName[..^BackfillSuffix.Length] : syncName;
}
