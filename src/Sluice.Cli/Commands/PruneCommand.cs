using System.CommandLine;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Server.Hosting;
using Sluice.Server.Metrics;
using Sluice.State;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice prune</c>: drop the replication slots and publications of syncs removed from the config.</summary>
internal static class PruneCommand
{
    public static Command Create()
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be dropped; drop nothing." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Drop without asking (needed when not at a terminal)." };
        var force = new Option<bool>("--force") { Description = "Also drop slots a reader is attached to, ending that reader's WAL sender first." };
        var state = new Option<bool>("--state") { Description = "Also delete the removed syncs' checkpoints, runs, ledger and dead letters from the state store (the audit log stays)." };
        var ledger = new Option<bool>("--ledger")
        {
            Description = "Also delete, from every sync's record ledger, entries with nothing to remember (no fingerprint, no destination id) " +
                "and dead letters already replayed, once older than --older-than.",
        };
        var olderThan = new Option<string>("--older-than")
        {
            Description = "With --ledger: the retention, in days or hours (30d, 12h).",
            DefaultValueFactory = _ => "30d",
        };
        var history = new Option<bool>("--history")
        {
            Description = "Also apply state.retention now: delete send-ledger rows, runs, resolved dead letters, audit-log rows and empty ledger " +
                "entries older than their retention (sluice run does this every hour). See docs/retention.md.",
        };
        var command = new Command("prune",
            """
            Drop the replication slots and publications Sluice created (named sluice_…) that no sync in the config
            uses any more, in every PostgreSQL database the config connects to. A slot nobody reads makes PostgreSQL
            keep WAL for ever, so remove a CDC sync from the config and then run this.

            Slots and publications a sync names itself (cdc: {slot: …}) are never dropped, nor is a slot a reader is
            attached to unless --force. The removed syncs' history stays in the state store unless --state.

            --ledger compacts the record ledger of every sync: entries with nothing left to remember (a sync that does
            not diff, no id from the destination, not quarantined or waiting) and replayed dead letters, once older
            than --older-than (30 days by default). See docs/state.md.

            Examples:
              sluice prune --dry-run
              sluice prune --yes
              sluice prune --yes --state
              sluice prune --yes --ledger --older-than 90d
              sluice prune --history --dry-run
            """)
        {
            dryRun,
            yes,
            force,
            state,
            ledger,
            olderThan,
            history,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            await using var collector = new SyncHealthCollector(config, TimeProvider.System);
            await using var resources = new ConnectorResources(TimeProvider.System);
            // Each connector that creates things of its own (a CDC sync's slot) lists those no sync claims any more.
            var pruners = SluiceWorkspace.DefaultConnectors().OfType<IPrunableResources>().ToList();
            var orphans = new List<(IPrunableResources Pruner, PrunableResource Resource)>();
            var problems = new List<string>();
            foreach (var pruner in pruners)
            {
                var scan = await pruner.FindPrunableAsync(config, resources, ct);
                orphans.AddRange(scan.Resources.Select(r => (pruner, r)));
                problems.AddRange(scan.Problems);
            }

            var declared = config.Syncs.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            var forgotten = parse.GetValue(state) && collector.State() is { } store
                ? await ForgottenSyncs.FindAsync(store.DataSource, store.Schema, declared, ct)
                : [];

            var retention = parse.GetValue(ledger) && collector.State() is { } ledgerStore
                ? new RecordLedgerRetention(ledgerStore.DataSource, ledgerStore.Schema)
                : null;
            var cutoff = TimeProvider.System.GetUtcNow() - Retention(parse.GetValue(olderThan)!);
            var compactable = retention is null ? null : await retention.CountAsync(cutoff, ct);
            var historyPruner = parse.GetValue(history) && collector.State() is { } historyStore
                ? (await PostgresStateStore.OpenAsync(historyStore.DataSource, historyStore.Schema, ct)).Retention(config.State.Retention, TimeProvider.System)
                : null;
            var old = historyPruner is null ? null : await historyPruner.CountAsync(ct);

            foreach (var problem in problems)
            {
                Output.Fail(problem);
            }

            if (orphans.Count == 0 && forgotten.Count == 0 && compactable is null or { IsEmpty: true } && old is null or { IsEmpty: true })
            {
                Output.Ok("nothing to prune: every Sluice slot and publication belongs to a sync in the config");
                return problems.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
            }

            foreach (var (_, orphan) in orphans)
            {
                Output.Line($"connection '{orphan.Connection}': {orphan.Description}");
            }

            foreach (var name in forgotten)
            {
                Output.Line($"state of sync '{name}' (checkpoint, runs, ledger, dead letters)");
            }

            if (compactable is { IsEmpty: false })
            {
                Output.Line($"record ledger: {compactable.Entries} entries with nothing to remember and {compactable.DeliveredDeadLetters} replayed dead letters, " +
                    $"unchanged since before {cutoff.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
            }

            if (old is { IsEmpty: false })
            {
                Output.Line($"history older than state.retention: {old}");
            }

            if (parse.GetValue(dryRun))
            {
                Output.Hint("dry run: nothing was dropped");
                return ExitCodes.Ok;
            }

            if (!parse.GetValue(yes))
            {
                if (!Output.Interactive)
                {
                    Output.Error("nothing was dropped: pass --yes to drop these (or --dry-run to only list them)");
                    return ExitCodes.Usage;
                }

                if (!await new ConfirmationPrompt("Drop these?") { DefaultValue = false }.ShowAsync(AnsiConsole.Console, ct))
                {
                    Output.Hint("nothing was dropped");
                    return ExitCodes.Ok;
                }
            }

            var failures = problems.Count;
            foreach (var (pruner, orphan) in orphans)
            {
                var outcome = await pruner.PruneAsync(config, orphan, parse.GetValue(force), resources, ct);
                var what = $"connection '{orphan.Connection}': {orphan.Kind} {orphan.Name}";
                if (outcome.Dropped)
                {
                    Output.Ok($"{what}: dropped");
                }
                else
                {
                    failures++;
                    Output.Fail($"{what}: not dropped: {outcome.Problem}");
                }
            }

            if (forgotten.Count > 0 && collector.State() is { } stateStore)
            {
                foreach (var name in forgotten)
                {
                    await ForgottenSyncs.ForgetAsync(stateStore.DataSource, stateStore.Schema, name, ct);
                    Output.Ok($"state of sync '{name}': deleted");
                }
            }

            if (retention is not null && compactable is { IsEmpty: false })
            {
                var pruned = await retention.PruneAsync(cutoff, ct);
                Output.Ok($"record ledger: {pruned.Entries} entries and {pruned.DeliveredDeadLetters} replayed dead letters deleted");
            }

            if (historyPruner is not null && old is { IsEmpty: false })
            {
                Output.Ok($"history: deleted {await historyPruner.PruneAsync(ct)}");
            }

            return failures == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        }));
        return command;
    }

    /// <summary><c>30d</c> or <c>12h</c>.</summary>
    private static TimeSpan Retention(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length >= 2 && int.TryParse(trimmed[..^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count))
        {
            switch (trimmed[^1])
            {
                case 'd':
                    return TimeSpan.FromDays(count);
                case 'h':
                    return TimeSpan.FromHours(count);
            }
        }

        throw Core.Errors.SluiceException.Config($"--older-than {text}: give the retention in days or hours, e.g. 30d or 12h");
    }
}
