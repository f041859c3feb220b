using Npgsql;
using Sluice.Core.Connectors;
using Sluice.State;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// How much WAL CDC slots hold back and whether their readers keep up: the numbers behind <c>sluice status</c>,
/// <c>/metrics</c> and their warnings. A slot whose reader stops confirming makes the server keep every WAL segment
/// from then on, until the disk is full; these checks exist so that nobody learns about it that way.
/// </summary>
public static class SlotHealth
{
    /// <summary>
    /// The slots of the connected database that Sluice owns (<see cref="CdcNames.Prefix"/>) or that
    /// <paramref name="named"/> lists, as the server reports them now.
    /// </summary>
    public static async Task<IReadOnlyList<SlotHealthSample>> SampleAsync(NpgsqlDataSource dataSource, IReadOnlyCollection<string> named, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(named);

        // Logical slots belong to one database; pg_replication_slots lists the whole cluster's. On a standby the
        // "current" position is the last one replayed. A slot without a confirmed position yet counts from restart_lsn.
        await using var command = dataSource.CreateCommand(
            """
            WITH here AS (
                SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END AS lsn
            )
            SELECT s.slot_name::text, s.database::text, s.active, s.active_pid,
                   greatest(coalesce(pg_wal_lsn_diff(here.lsn, coalesce(s.confirmed_flush_lsn, s.restart_lsn)), 0), 0)::bigint,
                   greatest(coalesce(pg_wal_lsn_diff(here.lsn, s.restart_lsn), 0), 0)::bigint,
                   s.wal_status, s.safe_wal_size, r.flush_lag, s.confirmed_flush_lsn::text, here.lsn::text
            FROM pg_replication_slots s
            CROSS JOIN here
            LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
            WHERE s.database = current_database() AND (left(s.slot_name, length($1)) = $1 OR s.slot_name = ANY ($2))
            ORDER BY s.slot_name
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = CdcNames.Prefix });
        command.Parameters.Add(new NpgsqlParameter { Value = named.ToArray() });
        var samples = new List<SlotHealthSample>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                samples.Add(new SlotHealthSample(
                    reader.GetString(0),
                    reader.GetString(1),
                    reader.GetBoolean(2),
                    reader.IsDBNull(3) ? null : reader.GetInt32(3),
                    reader.GetInt64(4),
                    reader.GetInt64(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetInt64(7),
                    reader.IsDBNull(8) ? null : reader.GetFieldValue<TimeSpan>(8),
                    reader.IsDBNull(9) ? null : reader.GetString(9),
                    reader.GetString(10)));
            }
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw PostgresErrors.Translate(e, CdcPreflight.Describe(dataSource));
        }

        return samples;
    }

    /// <summary>
    /// Judges a sync's slot against its thresholds.
    /// </summary>
    /// <param name="sample">The slot now; null when it does not exist.</param>
    /// <param name="progress">What the state store knows of the sync; null when it never ran.</param>
    /// <param name="confirmedSince">
    /// Since when the slot's confirmed position has stood still, when someone watched (<see cref="SlotHealthTracker"/>);
    /// null for a one-off look.
    /// </param>
    public static SlotHealthReport Judge(SlotHealthOptions options, SlotHealthSample? sample, SlotHealthSyncProgress? progress, DateTimeOffset? confirmedSince, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (sample is null)
        {
            // Never created is normal before the first run; gone after the sync has made progress is not.
            IReadOnlyList<string> why = progress?.CheckpointUpdatedAt is null
                ? []
                : ["the slot is gone although the sync has a checkpoint (dropped, or lost in a failover: see docs/cdc.md)"];
            return new SlotHealthReport(options, null, null, SlotHealthState.Missing, why);
        }

        var stillFor = confirmedSince is { } since ? (now - since).TotalSeconds : (double?)null;
        var lagSeconds = LagSeconds(sample, progress, stillFor, now);
        var stalled = new List<string>();
        var warnings = new List<string>();
        if (sample.WalStatus == "lost")
        {
            stalled.Add("the server removed WAL the slot still needed (wal_status lost): it can never be read again; drop it and restart the sync from a snapshot");
        }

        if (sample.LagBytes > 0)
        {
            if (!sample.Active && lagSeconds > options.StallAfter.TotalSeconds)
            {
                stalled.Add($"no reader for {Duration(lagSeconds.Value)} while it holds WAL: is the sync running?");
            }
            else if (sample.Active && stillFor > options.StallAfter.TotalSeconds)
            {
                stalled.Add($"its reader has confirmed nothing for {Duration(stillFor.Value)}");
            }
        }

        if (sample.LagBytes > options.MaxLagBytes)
        {
            warnings.Add($"lag {Bytes(sample.LagBytes)} is over max_lag {Bytes(options.MaxLagBytes)}");
        }

        if (lagSeconds > options.MaxLagTime.TotalSeconds)
        {
            warnings.Add($"lag {Duration(lagSeconds.Value)} is over max_lag_time {Duration(options.MaxLagTime.TotalSeconds)}");
        }

        if (sample.WalStatus == "unreserved")
        {
            warnings.Add("past max_slot_wal_keep_size: the next checkpoint may remove WAL the slot still needs");
        }

        var state = stalled.Count > 0 ? SlotHealthState.Stalled : warnings.Count > 0 ? SlotHealthState.Warn : SlotHealthState.Ok;
        return new SlotHealthReport(options, sample, lagSeconds, state, [.. stalled, .. warnings]);
    }

    /// <summary>A byte count as a person reads it (<see cref="HealthText.Bytes"/>).</summary>
    public static string Bytes(long bytes) => HealthText.Bytes(bytes);

    /// <summary>Seconds as a person reads them (<see cref="HealthText.Duration"/>).</summary>
    public static string Duration(double seconds) => HealthText.Duration(seconds);

    private static double? LagSeconds(SlotHealthSample sample, SlotHealthSyncProgress? progress, double? stillFor, DateTimeOffset now)
    {
        if (sample.LagBytes == 0)
        {
            return 0;
        }

        if (sample.Active)
        {
            // The server times the reader's confirmations against when it wrote the WAL; a watcher adds how long the
            // confirmed position has stood still, which flush_lag stops showing once the reader goes quiet.
            var flush = sample.FlushLag?.TotalSeconds ?? 0;
            return Math.Max(flush, stillFor ?? 0);
        }

        // No reader: the slot has held WAL at least since the sync last committed (or since someone saw it stand still).
        var sinceCommit = progress?.LastSuccessAt is { } at ? Math.Max(0, (now - at).TotalSeconds) : (double?)null;
        return (sinceCommit, stillFor) switch
        {
            (null, null) => null,
            ({ } a, null) => a,
            (null, { } b) => b,
            ({ } a, { } b) => Math.Max(a, b),
        };
    }
}
