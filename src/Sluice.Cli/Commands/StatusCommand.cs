using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Server.Metrics;
using Sluice.State;
using Sluice.State.Ingest;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice status [--json]</c>: every sync's last run and checkpoint, every CDC slot's lag, and orphans.</summary>
internal static class StatusCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON (for scripts and monitoring) instead of a table." };
        var command = new Command("status",
            """
            Show every sync: its schedule, last run (and its error when it failed), checkpoint and dead letters; for a
            sync reading an ingest source, the events it has not read yet (and how old the oldest is) and any events
            deleted before it read them (lost, over max_backlog); and for a CDC sync its replication slot: whether a
            reader is attached, how much WAL it holds back (lag, in bytes and in time) and its state: OK, WARN (over
            max_lag or max_lag_time), STALLED (holding WAL without confirming anything for longer than stall_after)
            or MISSING. Also lists Sluice slots and publications no sync uses any more (drop them with `sluice prune`).

            Exits 0 when all is well, 1 when anything needs attention (handy in cron), each reason printed: a sync whose
            last run failed or was stopped by max_rejected (with its error), dead letters its last run added, events
            lost for a sync in the last day, an ingest backlog or a checkpoint older than its `attention:` thresholds, a
            slot over a threshold, an orphan or an unreachable database. docs/alerting.md, docs/cdc.md and
            docs/ingest.md explain the numbers.

            Examples:
              sluice status
              sluice status --json
            """)
        {
            json,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            await using var collector = new SyncHealthCollector(config, TimeProvider.System);
            var snapshot = await collector.CollectAsync(ct);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(ToJson(snapshot), Json));
            }
            else
            {
                Print(config, snapshot);
            }

            return snapshot.NeedsAttention ? ExitCodes.Failure : ExitCodes.Ok;
        }));
        return command;
    }

    private static void Print(SluiceConfig config, SyncHealthSnapshot snapshot)
    {
        if (snapshot.Syncs.Count == 0)
        {
            Output.Line($"{config.FilePath} declares no syncs.");
        }
        else
        {
            var table = new Table().Border(TableBorder.Simple)
                .AddColumn("sync").AddColumn("schedule").AddColumn("last run").AddColumn("checkpoint")
                .AddColumn("slot").AddColumn("active").AddColumn(new TableColumn("lag").RightAligned()).AddColumn(new TableColumn("lag time").RightAligned())
                .AddColumn("state").AddColumn(new TableColumn("backlog").RightAligned()).AddColumn(new TableColumn("dead letters").RightAligned())
                .AddColumn(new TableColumn("waiting").RightAligned());
            foreach (var sync in snapshot.Syncs)
            {
                var health = sync.Health;
                table.AddRow(
                    Markup.Escape(sync.Name),
                    Markup.Escape(sync.Schedule),
                    Markup.Escape(LastRun(sync.Progress, snapshot.At)),
                    Markup.Escape(sync.Progress?.CheckpointUpdatedAt is { } at ? $"moved {Ago(at, snapshot.At)}" : "none"),
                    Markup.Escape(health?.Subject ?? (sync.Problem is null ? "-" : "?")),
                    Markup.Escape(health?.Attached ?? "-"),
                    Markup.Escape(health?.Lag ?? "-"),
                    Markup.Escape(health?.LagTime ?? "-"),
                    State(sync),
                    Markup.Escape(Backlog(sync.Ingest, snapshot.At)),
                    (sync.Status?.DeadLetters ?? 0).ToString("N0", CultureInfo.InvariantCulture),
                    (sync.Status?.Waiting ?? 0).ToString("N0", CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
        }

        foreach (var sync in snapshot.Syncs)
        {
            // Every reason it needs attention (one evaluation: SyncHealth.Reasons); a slot's are warnings below.
            foreach (var reason in sync.Reasons.Where(r => r.Kind != "slot"))
            {
                Output.Fail($"{sync.Name}: {reason.Text}");
            }

            if (sync.Ingest is { Lost: > 0 } lost && !sync.LostEventsRecently)
            {
                Output.Warn(string.Create(CultureInfo.InvariantCulture,
                    $"{sync.Name}: {lost.Lost:N0} events of ingest source '{lost.Source}' were deleted before it read them (over max_backlog), the last {Ago(lost.LastLostAt!.Value, snapshot.At)}"));
            }

            if (sync.Status is { LastRunSkipped: > 0 } skipped)
            {
                // Counted and explained, not an error: no attention needed.
                Output.Line(string.Create(CultureInfo.InvariantCulture,
                    $"{sync.Name}: {skipped.LastRunSkipped:N0} skipped by its last run (a processor left them out, e.g. a lookup with no match; not errors): `sluice explain {sync.Name} <key>` says why"));
            }

            if (sync.Status is { Quarantined: > 0 } held)
            {
                Output.Warn(string.Create(CultureInfo.InvariantCulture,
                    $"{sync.Name}: {held.Quarantined:N0} quarantined by its validate: rules (not sent); see them with `sluice quarantine list {sync.Name}`, then release or drop them"));
            }

            foreach (var message in sync.Health?.Messages ?? [])
            {
                Output.Warn($"{sync.Name}: {message}");
            }
        }

        foreach (var message in snapshot.Findings.SelectMany(f => f.Messages))
        {
            Output.Warn(message);
        }

        foreach (var problem in snapshot.Problems)
        {
            Output.Fail(problem);
        }
    }

    private static string State(SyncHealth sync) => sync switch
    {
        { Problem: not null } => "[red]ERROR[/]",
        { Health: null } => "-",
        { Health.State: HealthState.Ok } => $"[green]{Markup.Escape(sync.Health.StateText)}[/]",
        { Health.State: HealthState.Warning } => $"[yellow]{Markup.Escape(sync.Health.StateText)}[/]",
        { Health.State: HealthState.Critical } => $"[red]{Markup.Escape(sync.Health.StateText)}[/]",
        _ => Markup.Escape(sync.Health.StateText),
    };

    private static string LastRun(SlotHealthSyncProgress? progress, DateTimeOffset now) => progress switch
    {
        null or { LastRunStatus: null } => "never",
        { LastRunStatus: "running", LastRunStarted: { } started } => $"running since {Ago(started, now)}",
        { LastRunFinished: { } finished } => $"{progress.LastRunStatus} {Ago(finished, now)}",
        _ => progress.LastRunStatus!,
    };

    private static string Backlog(IngestBacklog? backlog, DateTimeOffset now) => backlog switch
    {
        null => "-",
        { Events: 0 } => "0",
        { OldestReceivedAt: { } oldest } => string.Create(CultureInfo.InvariantCulture, $"{backlog.Events:N0} (oldest {Ago(oldest, now)})"),
        _ => backlog.Events.ToString("N0", CultureInfo.InvariantCulture),
    };

    private static string Ago(DateTimeOffset at, DateTimeOffset now) => HealthText.Duration((now - at).TotalSeconds) + " ago";

    private static object ToJson(SyncHealthSnapshot snapshot) => new
    {
        at = snapshot.At,
        needsAttention = snapshot.NeedsAttention,
        syncs = snapshot.Syncs.Select(s => new
        {
            name = s.Name,
            schedule = s.Schedule,
            needsAttention = s.NeedsAttention,
            reasons = s.Reasons.Select(r => new { kind = r.Kind, text = r.Text }),
            lastRun = s.Progress?.LastRunStatus is null ? null : new
            {
                status = s.Progress.LastRunStatus,
                started = s.Progress.LastRunStarted,
                finished = s.Progress.LastRunFinished,
                error = s.Status?.LastRunError,
            },
            failedRuns = s.Status?.FailedRuns ?? 0,
            deadLetters = s.Status?.DeadLetters ?? 0,
            deadLettersLastRun = s.Status?.LastRunDeadLetters ?? 0,
            waiting = s.Status?.Waiting ?? 0,
            quarantined = s.Status?.Quarantined ?? 0,
            skippedLastRun = s.Status?.LastRunSkipped ?? 0,
            lastSuccess = s.Progress?.LastSuccessAt,
            checkpoint = s.Progress?.Checkpoint,
            checkpointUpdated = s.Progress?.CheckpointUpdatedAt,
            recordsTotal = s.Progress?.RecordsTotal ?? 0,
            cdc = s.Health?.Details,
            ingest = s.Ingest is not { } ingest ? null : new
            {
                source = ingest.Source,
                backlog = ingest.Events,
                oldestUnread = ingest.OldestReceivedAt,
                oldestUnreadSeconds = ingest.OldestReceivedAt is { } oldest ? Math.Max(0, (snapshot.At - oldest).TotalSeconds) : 0,
                lost = ingest.Lost,
                lastLost = ingest.LastLostAt,
            },
            problem = s.Problem,
        }),
        orphans = snapshot.Findings.Select(f => f.Details),
        problems = snapshot.Problems,
    };
}
