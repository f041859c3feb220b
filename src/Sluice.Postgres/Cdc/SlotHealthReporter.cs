using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.State;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// The PostgreSQL connector's health lines (<see cref="IHealthReporting"/>): each CDC sync's slot judged against its
/// thresholds (<see cref="SlotHealth"/>), and every Sluice slot or publication no sync claims (<see cref="CdcOrphans"/>).
/// </summary>
internal static class SlotHealthReporter
{
    public static readonly IReadOnlyList<HealthMetric> Metrics =
    [
        new("sluice_slot_lag_bytes", "WAL written since the CDC slot's reader last confirmed, in bytes.", Whole: true),
        new("sluice_slot_retained_bytes", "WAL the server keeps for the CDC slot (from its restart_lsn), in bytes.", Whole: true),
        new("sluice_slot_lag_seconds", "How long the CDC slot has held unconfirmed WAL, in seconds (see docs/cdc.md).", Whole: false),
        new("sluice_slot_active", "1 when a reader is attached to the CDC slot, else 0.", Whole: true),
        new("sluice_slot_over_threshold", "1 when the CDC slot is over max_lag or max_lag_time, stalled or lost, else 0.", Whole: true),
        new("sluice_slot_stalled", "1 when the CDC slot holds WAL without confirming anything for longer than stall_after, else 0.", Whole: true),
        new("sluice_orphan_slot_retained_bytes", "WAL held by a Sluice slot no sync claims (run `sluice prune`), in bytes.", Whole: true),
    ];

    public static async Task<HealthReading> ReadAsync(HealthRequest request, ConnectorResources resources, CancellationToken ct)
    {
        var config = request.Config;
        var cdc = config.Syncs
            .Where(s => config.FindConnection(s.SourceConnection)?.Type == PostgresConnector.ConnectorType)
            .Select(SlotHealthOptions.For).OfType<SlotHealthOptions>().ToList();
        var now = resources.Time.GetUtcNow();
        var tracker = request.Watching ? resources.GetOrCreate("", () => new SlotHealthTracker(resources.Time)) : null;
        var reports = new List<HealthReport>();
        var syncProblems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in cdc.GroupBy(o => config.FindSync(o.Sync)!.SourceConnection))
        {
            IReadOnlyList<SlotHealthSample> samples;
            try
            {
                var connection = config.FindConnection(group.Key) ?? throw new ConfigException(null, $"no connection named '{group.Key}' in {config.FilePath}");
                samples = await SlotHealth.SampleAsync(PostgresConnector.Open(connection, resources).DataSource, group.Select(o => o.Slot).ToList(), ct);
            }
            catch (SluiceException e) when (e is not ConfigException)
            {
                foreach (var options in group)
                {
                    syncProblems[options.Sync] = e.Message;
                }

                continue;
            }

            foreach (var options in group)
            {
                var sample = samples.FirstOrDefault(s => s.Slot == options.Slot);
                var since = sample is not null && tracker is not null ? tracker.Observe(group.Key, sample) : (DateTimeOffset?)null;
                var known = request.Progress.GetValueOrDefault(options.Sync);
                var progress = known is null ? null : new SlotHealthSyncProgress(options.Sync, null, null, null, known.LastSuccessAt, known.CheckpointUpdatedAt, null, 0);
                reports.Add(Report(SlotHealth.Judge(options, sample, progress, since, now)));
            }
        }

        var (orphans, problems) = await CdcOrphans.FindAsync(config, resources, ct);
        reports.AddRange(orphans.Select(o => Report(o, config)));
        return new HealthReading(reports, syncProblems, problems);
    }

    private static HealthReport Report(SlotHealthReport slot)
    {
        var sample = slot.Sample;
        KeyValuePair<string, string>[] labels = [new("sync", slot.Options.Sync), new("slot", slot.Options.Slot)];
        var lines = new List<HealthLine>();
        if (sample is not null)
        {
            lines.Add(new HealthLine("sluice_slot_lag_bytes", labels, sample.LagBytes));
            lines.Add(new HealthLine("sluice_slot_retained_bytes", labels, sample.RetainedBytes));
            if (slot.LagSeconds is { } seconds)
            {
                lines.Add(new HealthLine("sluice_slot_lag_seconds", labels, seconds));
            }

            lines.Add(new HealthLine("sluice_slot_active", labels, sample.Active ? 1 : 0));
        }

        lines.Add(new HealthLine("sluice_slot_over_threshold", labels, slot.OverThreshold ? 1 : 0));
        if (sample is not null)
        {
            lines.Add(new HealthLine("sluice_slot_stalled", labels, slot.State == SlotHealthState.Stalled ? 1 : 0));
        }

        var (state, text) = slot switch
        {
            { State: SlotHealthState.Ok } => (HealthState.Ok, "OK"),
            { State: SlotHealthState.Warn } => (HealthState.Warning, "WARN"),
            { State: SlotHealthState.Stalled } => (HealthState.Critical, "STALLED"),
            { OverThreshold: true } => (HealthState.Critical, "MISSING"),
            _ => (HealthState.Unknown, "not created yet"),
        };
        var details = new
        {
            slot = slot.Options.Slot,
            publication = slot.Options.Publication,
            exists = sample is not null,
            active = sample?.Active,
            activePid = sample?.ActivePid,
            lagBytes = sample?.LagBytes,
            retainedBytes = sample?.RetainedBytes,
            lagSeconds = slot.LagSeconds,
            walStatus = sample?.WalStatus,
            safeWalSize = sample?.SafeWalSize,
            state = slot.State.ToString().ToLowerInvariant(),
            overThreshold = slot.OverThreshold,
            maxLagBytes = slot.Options.MaxLagBytes,
            maxLagSeconds = slot.Options.MaxLagTime.TotalSeconds,
            reasons = slot.Reasons,
        };
        return new HealthReport(slot.Options.Sync, slot.Options.Slot, state, text, lines, [.. slot.Reasons.Select(r => $"slot {slot.Options.Slot}: {r}")], details)
        {
            Attached = sample is null ? "-" : sample.Active ? "yes" : "no",
            Lag = sample is null ? "-" : SlotHealth.Bytes(sample.LagBytes),
            LagTime = slot.LagSeconds is { } lag ? SlotHealth.Duration(lag) : "-",
        };
    }

    private static HealthReport Report(OrphanedCdcObject orphan, SluiceConfig config)
    {
        var o = orphan.Orphan;
        IReadOnlyList<HealthLine> lines = o.Kind == SlotPruner.OrphanKind.Slot
            ? [new HealthLine("sluice_orphan_slot_retained_bytes", [new("connection", orphan.Connection), new("slot", o.Name)], o.RetainedBytes ?? 0)]
            : [];
        var details = new
        {
            connection = orphan.Connection,
            kind = o.Kind.ToString().ToLowerInvariant(),
            name = o.Name,
            active = o.Active,
            activePid = o.ActivePid,
            retainedBytes = o.RetainedBytes,
        };
        var message = $"connection '{orphan.Connection}': {o.Describe()} belongs to no sync in {config.FilePath}; run `sluice prune` to drop it";
        return new HealthReport(null, o.Name, HealthState.Warning, "ORPHAN", lines, [message], details);
    }
}
