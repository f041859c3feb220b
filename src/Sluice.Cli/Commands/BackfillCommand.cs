using System.CommandLine;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Postgres.State;
using Sluice.Server.Hosting;

namespace Sluice.Cli.Commands;

/// <summary>
/// <c>sluice backfill SYNC --from X --to Y [--by key] [--resume | --restart]</c>: sends one range of a table
/// sync's rows again, under the sync's backfill state (<c>SYNC#backfill</c>: its own checkpoint, lock and run
/// history), in the destination's backfill lane, resumable from its last committed batch.
/// </summary>
internal static class BackfillCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("sync") { Description = "The sync whose rows to send, as named under 'syncs:' (a table source with a cursor)." };
        var from = new Option<string?>("--from") { Description = "First value of the range, included: a date, a timestamp or an id, as PostgreSQL writes the column's type." };
        var to = new Option<string?>("--to") { Description = "End of the range, excluded: rows before it are sent, rows at it are not." };
        var by = new Option<string>("--by")
        {
            Description = "The column the range is on: the sync's cursor (default) or its key (a single-column key).",
            DefaultValueFactory = _ => "cursor",
        };
        by.AcceptOnlyFromAmong("cursor", "key");
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted backfill of the same range from its last committed batch." };
        var restart = new Option<bool>("--restart") { Description = "Drop an interrupted backfill and start this one at the start of its range." };
        var command = new Command("backfill",
            """
            Send one range of a sync's rows again: a date range on the cursor, or an id range. Pages through the
            table by keyset, shows a progress bar with rate and ETA, and logs every committed batch to run history.

            The range is --from (included) to --to (excluded), on the sync's cursor column, or on its key with
            --by key. Either bound may be left out. Bounds are parsed by PostgreSQL as the column's type, so write
            them as you would in SQL: 2024-01-01, '2024-01-01 12:00:00+02', 1000.

            A backfill keeps its own checkpoint and run history under the sync name 'SYNC#backfill': it never moves
            the live sync's checkpoint, and it can run while the live sync runs (two backfills of one sync cannot).
            It sends in the destination's backfill lane, so live traffic keeps its share of the rate budget. A row
            sent by both gets the same messageId, so Segment drops the second copy.

            Stopped (Ctrl-C) or crashed, a backfill resumes from its last committed batch with --resume and the
            same range. Until then, a new backfill of the sync is refused; --restart drops the interrupted one.

            Examples:
              sluice backfill orders_to_segment --from 2024-01-01 --to 2024-07-01
              sluice backfill orders_to_segment --from 2024-01-01 --to 2024-07-01 --resume
              sluice backfill users_to_segment --by key --from 1 --to 500000
              sluice backfill users_to_segment --to 2023-01-01 --restart -c prod.yaml
            """)
        {
            name, from, to, by, resume, restart,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(() => BackfillAsync(
            parse.GetValue(CliOptions.Config)!,
            parse.GetValue(name)!,
            new SourceRange(parse.GetValue(by) == "key", parse.GetValue(from), parse.GetValue(to)),
            parse.GetValue(resume),
            parse.GetValue(restart),
            ct)));
        return command;
    }

    private static async Task<int> BackfillAsync(string configPath, string syncName, SourceRange asked, bool resume, bool restart, CancellationToken ct)
    {
        if (asked.From is null && asked.To is null)
        {
            Output.Error("a backfill needs a range: --from, --to or both");
            Output.Hint($"e.g. sluice backfill {syncName} --from 2024-01-01 --to 2024-07-01; to send every row again, run `sluice sync {syncName} --full`");
            return ExitCodes.Usage;
        }

        if (resume && restart)
        {
            Output.Error("--resume and --restart contradict each other: --resume continues the interrupted backfill, --restart drops it");
            return ExitCodes.Usage;
        }

        var config = SluiceConfig.Load(configPath);
        await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
        var definition = workspace.Build(workspace.FindSync(syncName));
        var handedOver = false;
        try
        {
            if (definition.Source is not IRangeReads table)
            {
                throw SluiceException.Config(
                    $"sync '{syncName}' has no cursor (it reads {definition.Source.Description}): every run compares all its rows with what was last sent, " +
                    $"so there is no range to backfill. `sluice sync {syncName}` sends what changed; `sluice sync {syncName} --full` sends every row again");
            }

            SourceRange range;
            try
            {
                range = await table.CheckRangeAsync(asked, ct);
            }
            catch (SluiceException e) when (e.Class == ErrorClass.Config)
            {
                Output.Error(e.Message);
                Output.Hint("bounds are parsed by PostgreSQL as the column's type, e.g. --from 2024-01-01 --to 2024-07-01 for a timestamp, --from 1000 --to 2000 for an integer");
                return ExitCodes.Usage;
            }

            var stateName = SluiceWorkspace.BackfillStateName(syncName);
            var store = await workspace.StateAsync(ct);
            var lease = await store.TryAcquireAsync(stateName, ct);
            if (lease is null)
            {
                Output.Error($"a backfill of '{syncName}' is already running (another sluice process holds the lock of '{stateName}')");
                Output.Hint("wait for it to finish, or stop it (Ctrl-C) and continue it here with --resume; the live sync is not affected");
                return ExitCodes.Failure;
            }

            // Decided under the backfill's lock, which the run takes over: nobody moves its checkpoint in between.
            (bool Resume, int? Exit) plan;
            try
            {
                plan = Plan(syncName, table, range, resume, restart, await store.CheckpointStatusAsync(stateName, ct));
            }
            catch
            {
                await lease.DisposeAsync();
                throw;
            }

            if (plan.Exit is { } exit)
            {
                await lease.DisposeAsync();
                return exit;
            }

            var backfill = definition with
            {
                Name = stateName,
                Source = table.WithRange(range with { Resume = plan.Resume }),
                Options = InBackfillLane(definition.Options),
            };
            handedOver = true;
            await using var original = definition.Source;
            return await RunAsync(workspace, syncName, backfill, range, lease, config.State.Schema, ct);
        }
        finally
        {
            if (!handedOver)
            {
                await definition.Source.DisposeAsync();
                await definition.Destination.DisposeAsync();
            }
        }
    }

    private static async Task<int> RunAsync(SluiceWorkspace workspace, string syncName, SyncDefinition backfill, SourceRange range, ISyncLease lease, string schema, CancellationToken ct)
    {
        RunResult result;
        try
        {
            result = await SyncProgress.ShowAsync($"{syncName} backfill", observer => workspace.RunAsync(backfill, RunKind.Backfill, lease, observer, ct));
        }
        catch (OperationCanceledException)
        {
            Output.Hint($"stopped; committed batches are kept. Continue with: sluice backfill {syncName} {RangeArguments(range)} --resume");
            return ExitCodes.Failure;
        }
        catch (SluiceException e) when (e.Class != ErrorClass.Config)
        {
            Output.Error(e.Message);
            Output.Hint($"committed batches are kept. Once fixed, continue with: sluice backfill {syncName} {RangeArguments(range)} --resume");
            return ExitCodes.Failure;
        }

        var rate = result.Elapsed.TotalSeconds > 0 ? result.Read / result.Elapsed.TotalSeconds : 0;
        Output.Line($"{syncName}: backfill run {result.RunId} ({range}) done in {result.Elapsed.TotalSeconds:0.0} s: {result.Read:N0} read, {result.Acknowledged:N0} acknowledged, " +
            $"{result.Rejected:N0} dead-lettered, {result.Batches:N0} batches ({rate:N0} records/s)");
        Output.Hint($"each batch is logged in {schema}.run_batches (run_id {result.RunId}); the backfill's runs and checkpoint are under sync '{backfill.Name}' in {schema}.runs");
        if (result.Rejected > 0)
        {
            Output.Hint($"dead letters are in {schema}.dead_letters (sync '{backfill.Name}'), each with the reason");
        }

        return ExitCodes.Ok;
    }

    /// <summary>What to do given the backfill's stored state: start, resume, or stop with an exit code and a message.</summary>
    private static (bool Resume, int? Exit) Plan(string syncName, IRangeReads source, SourceRange range, bool resume, bool restart, CheckpointStatus? status)
    {
        var stored = status?.Checkpoint is { } checkpoint ? source.RangeOf(checkpoint) : null;
        // Interrupted: the run that last moved the checkpoint did not finish, nor did any run since (one that
        // succeeded after it, even with nothing left to read, completed the backfill).
        var interrupted = stored is not null && status!.CheckpointRunStatus != "succeeded" && status.LastRunStatus != "succeeded";

        if (!interrupted)
        {
            if (resume && stored is { } done && done.Range.SameBounds(range))
            {
                Output.Line($"{syncName}: nothing to resume: the backfill over {range} finished (run {status!.LastRunId}). Run without --resume to send the range again.");
                return (false, ExitCodes.Ok);
            }

            if (resume)
            {
                Output.Hint($"{syncName}: no interrupted backfill to resume; starting one over {range}");
            }

            return (false, null);
        }

        var (previous, position) = stored!.Value;
        var what = $"the backfill of '{syncName}' over {previous} {Stopped(status!)}, after committing up to {position}";
        if (restart)
        {
            Output.Hint($"dropping {what}; starting over {range}");
            return (false, null);
        }

        if (!resume)
        {
            Output.Error($"{what}.");
            Output.Hint(previous.SameBounds(range)
                ? "pass --resume to continue it from there, or --restart to start over from the start of the range; rows sent again get the same messageId, so Segment drops the duplicates"
                : $"continue it with: sluice backfill {syncName} {RangeArguments(previous)} --resume; or pass --restart to drop it and backfill {range}");
            return (false, ExitCodes.Usage);
        }

        if (!previous.SameBounds(range))
        {
            Output.Error($"--resume continues {what}; the range you gave is {range}.");
            Output.Hint($"to continue it: sluice backfill {syncName} {RangeArguments(previous)} --resume; to drop it and backfill the range you gave, pass --restart instead of --resume");
            return (false, ExitCodes.Usage);
        }

        Output.Hint($"{syncName}: resuming the backfill over {range} after {position}");
        return (true, null);
    }

    private static string Stopped(CheckpointStatus status) => status.LastRunStatus switch
    {
        "cancelled" => $"was stopped (run {status.LastRunId})",
        "failed" => $"failed (run {status.LastRunId}: {status.LastRunError})",
        // With the lock held, a run still marked running died with its process.
        _ => $"was interrupted (run {status.LastRunId}: the process was killed or crashed)",
    };

    private static SyncRunOptions InBackfillLane(SyncRunOptions options) => new()
    {
        BatchSize = options.BatchSize,
        Retry = options.Retry,
        Lane = DeliveryLane.Backfill,
        On = options.On,
        OnLocation = options.OnLocation,
    };

    /// <summary>The range as command-line arguments to paste back, quoted for a POSIX shell where needed.</summary>
    private static string RangeArguments(SourceRange range)
    {
        var parts = new List<string>();
        if (range.ByKey)
        {
            parts.Add("--by key");
        }

        if (range.From is { } from)
        {
            parts.Add($"--from {Quote(from)}");
        }

        if (range.To is { } to)
        {
            parts.Add($"--to {Quote(to)}");
        }

        return string.Join(' ', parts);

        static string Quote(string value) =>
            value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '+' or '/')
                ? value
                : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
