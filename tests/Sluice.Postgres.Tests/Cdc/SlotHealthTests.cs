using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Postgres.Cdc;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Cdc;

public sealed class SlotHealthTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static int _slotCounter;

    [Fact]
    public async Task A_slot_nobody_reads_shows_the_WAL_it_holds_and_lets_go_of_it_once_confirmed()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("slot_lag");
        var slot = NewSlotName();
        await ExecuteAsync(db, "CREATE TABLE items (id bigint PRIMARY KEY, body text)");
        await ExecuteAsync(db, $"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')"); // alone: a slot is not made in a transaction that wrote
        try
        {
            // The WAL is the whole cluster's, which other tests write to as well: assert against the insert's own share.
            var before = await Lsn(db, "SELECT pg_current_wal_lsn()");
            await ExecuteAsync(db, "INSERT INTO items SELECT i, repeat('x', 200) FROM generate_series(1, 2000) i");
            var after = await Lsn(db, "SELECT pg_current_wal_lsn()");

            var sample = Assert.Single(await SlotHealth.SampleAsync(db, [slot], CancellationToken.None), s => s.Slot == slot);
            Assert.False(sample.Active);
            Assert.True(sample.LagBytes >= (long)((ulong)after - (ulong)before), $"{sample}; the insert wrote {(ulong)after - (ulong)before} bytes");
            Assert.True(sample.RetainedBytes >= sample.LagBytes);
            Assert.Equal("reserved", sample.WalStatus);

            // What a reader confirming everything does to the slot. A slot advances only over flushed WAL, and the test
            // cluster commits asynchronously: wait for the WAL writer first.
            await ExecuteAsync(db, $"""
                DO $$
                BEGIN
                    FOR i IN 1..100 LOOP
                        EXIT WHEN pg_current_wal_flush_lsn() >= '{after}'::pg_lsn;
                        PERFORM pg_sleep(0.05);
                    END LOOP;
                END $$
                """);
            await ExecuteAsync(db, $"SELECT pg_replication_slot_advance('{slot}', pg_current_wal_flush_lsn())");
            var confirmed = Assert.Single(await SlotHealth.SampleAsync(db, [slot], CancellationToken.None), s => s.Slot == slot);
            Assert.True(NpgsqlTypes.NpgsqlLogSequenceNumber.Parse(confirmed.ConfirmedFlushLsn!) >= after, $"{confirmed}; the insert ended at {after}");
            // The lag now counts only WAL written after the insert.
            Assert.True(confirmed.LagBytes <= (long)((ulong)NpgsqlTypes.NpgsqlLogSequenceNumber.Parse(confirmed.CurrentLsn) - (ulong)after), confirmed.ToString());
        }
        finally
        {
            await ExecuteAsync(db, $"SELECT pg_drop_replication_slot('{slot}')");
        }
    }

    [Fact]
    public async Task An_idle_databases_slot_keeps_advancing_while_its_sync_runs()
    {
        await using var bed = await CdcTestBed.CreateAsync("slot_idle", "CREATE TABLE accounts (id bigint PRIMARY KEY, status text); CREATE TABLE noise (n int)");
        var source = bed.Source("slot_health_idle", "table: public.accounts\ncdc: {start: now}", heartbeat: TimeSpan.FromMilliseconds(200));
        await using var probe = new StreamProbe(source, ["id", "status"]);
        var slot = CdcNames.SlotFor("slot_health_idle");
        await bed.EventuallyReadyAsync(slot);

        // WAL the sync has no change for (another table, as other databases of the cluster would write): the followed
        // table never changes, so only the sync's idle confirmations can move the slot past it.
        await bed.ExecuteAsync("INSERT INTO noise SELECT generate_series(1, 50000)");
        var written = await bed.ScalarAsync<NpgsqlTypes.NpgsqlLogSequenceNumber>("SELECT pg_current_wal_lsn()");
        await CdcTestBed.EventuallyAsync(async () => await bed.ConfirmedAsync(slot) is { } confirmed && confirmed >= written, "the idle slot confirmed past the WAL written after it");

        var sample = Assert.Single(await SlotHealth.SampleAsync(bed.Db, [], CancellationToken.None), s => s.Slot == slot);
        var report = SlotHealth.Judge(Options("cdc: true"), sample, null, null, Now);
        // (Its lag in bytes is whatever the cluster wrote since the last heartbeat, other tests included: not asserted.)
        Assert.True(sample.Active);
        Assert.Equal(SlotHealthState.Ok, report.State);
    }

    [Fact]
    public async Task Only_sluice_slots_of_this_database_and_slots_named_in_the_config_are_sampled()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("slot_scope");
        await using var other = await TestPostgres.CreateDataSourceAsync("slot_scope_other");
        var ours = NewSlotName();
        var named = $"custom_{Environment.ProcessId}_{Interlocked.Increment(ref _slotCounter)}";
        var foreign = $"custom_{Environment.ProcessId}_{Interlocked.Increment(ref _slotCounter)}";
        var elsewhere = NewSlotName();
        await ExecuteAsync(db, $"SELECT pg_create_logical_replication_slot('{ours}', 'pgoutput'), pg_create_logical_replication_slot('{named}', 'pgoutput'), pg_create_logical_replication_slot('{foreign}', 'pgoutput')");
        await ExecuteAsync(other, $"SELECT pg_create_logical_replication_slot('{elsewhere}', 'pgoutput')");
        try
        {
            var slots = (await SlotHealth.SampleAsync(db, [named], CancellationToken.None)).Select(s => s.Slot).ToList();

            Assert.Contains(ours, slots);
            Assert.Contains(named, slots);
            Assert.DoesNotContain(foreign, slots);
            Assert.DoesNotContain(elsewhere, slots);
        }
        finally
        {
            await ExecuteAsync(db, $"SELECT pg_drop_replication_slot('{ours}'), pg_drop_replication_slot('{named}'), pg_drop_replication_slot('{foreign}')");
            await ExecuteAsync(other, $"SELECT pg_drop_replication_slot('{elsewhere}')");
        }
    }

    [Fact]
    public void A_slot_without_a_reader_that_holds_WAL_past_stall_after_is_stalled_and_over_its_thresholds()
    {
        var options = Options("cdc: {max_lag: 1MB, max_lag_time: 2m, stall_after: 10m}");
        var sample = Sample(active: false, lagBytes: 5L << 20);
        var progress = Progress(lastSuccess: Now.AddMinutes(-30));

        var report = SlotHealth.Judge(options, sample, progress, confirmedSince: null, Now);

        Assert.Equal(SlotHealthState.Stalled, report.State);
        Assert.True(report.OverThreshold);
        Assert.Equal(1800, report.LagSeconds);
        Assert.Contains(report.Reasons, r => r.Contains("no reader for 30m 0s", StringComparison.Ordinal));
        Assert.Contains(report.Reasons, r => r.Contains("lag 5 MB is over max_lag 1 MB", StringComparison.Ordinal));
        Assert.Contains(report.Reasons, r => r.Contains("over max_lag_time 2m 0s", StringComparison.Ordinal));
    }

    [Fact]
    public void A_slot_over_max_lag_but_recently_confirmed_is_a_warning_not_a_stall()
    {
        var options = Options("cdc: {max_lag: 1MB}");
        var report = SlotHealth.Judge(options, Sample(active: false, lagBytes: 2L << 20), Progress(lastSuccess: Now.AddSeconds(-20)), null, Now);

        Assert.Equal(SlotHealthState.Warn, report.State);
        Assert.Equal(20, report.LagSeconds);
        Assert.Equal(["lag 2 MB is over max_lag 1 MB"], report.Reasons);
    }

    [Fact]
    public void A_caught_up_slot_is_ok_with_no_lag_whatever_its_age()
    {
        var report = SlotHealth.Judge(Options("cdc: true"), Sample(active: false, lagBytes: 0), Progress(lastSuccess: Now.AddDays(-3)), null, Now);

        Assert.Equal(SlotHealthState.Ok, report.State);
        Assert.Equal(0, report.LagSeconds);
        Assert.False(report.OverThreshold);
    }

    [Fact]
    public void An_attached_reader_that_confirms_nothing_for_longer_than_stall_after_is_stalled()
    {
        var time = new FakeTimeProvider(Now);
        var tracker = new SlotHealthTracker(time);
        var options = Options("cdc: {stall_after: 5m}");
        var stuck = Sample(active: true, lagBytes: 64 << 10, confirmed: "0/1000");

        var first = SlotHealth.Judge(options, stuck, null, tracker.Observe("app", stuck), time.GetUtcNow());
        time.Advance(TimeSpan.FromMinutes(6));
        var later = SlotHealth.Judge(options, stuck, null, tracker.Observe("app", stuck), time.GetUtcNow());
        var moved = stuck with { ConfirmedFlushLsn = "0/2000" };
        var afterMoving = SlotHealth.Judge(options, moved, null, tracker.Observe("app", moved), time.GetUtcNow());

        Assert.Equal(SlotHealthState.Ok, first.State);
        Assert.Equal(SlotHealthState.Stalled, later.State);
        Assert.Contains("its reader has confirmed nothing for 6m 0s", later.Reasons);
        Assert.Equal(SlotHealthState.Ok, afterMoving.State);
    }

    [Fact]
    public void A_missing_slot_matters_only_once_the_sync_has_made_progress()
    {
        var options = Options("cdc: true");

        var neverRan = SlotHealth.Judge(options, null, null, null, Now);
        var lost = SlotHealth.Judge(options, null, Progress(lastSuccess: Now.AddHours(-1)), null, Now);

        Assert.Equal(SlotHealthState.Missing, neverRan.State);
        Assert.False(neverRan.OverThreshold);
        Assert.Equal(SlotHealthState.Missing, lost.State);
        Assert.True(lost.OverThreshold);
        Assert.Contains("failover", Assert.Single(lost.Reasons), StringComparison.Ordinal);
    }

    [Fact]
    public void A_slot_whose_WAL_was_removed_is_stalled_for_good()
    {
        var report = SlotHealth.Judge(Options("cdc: true"), Sample(active: false, lagBytes: 10) with { WalStatus = "lost" }, null, null, Now);

        Assert.Equal(SlotHealthState.Stalled, report.State);
        Assert.Contains("wal_status lost", report.Reasons[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Options_name_sluice_objects_by_default_and_read_the_thresholds()
    {
        var defaults = Options("cdc: true");
        Assert.Equal(CdcNames.SlotFor("accounts_sync"), defaults.Slot);
        Assert.Equal(CdcNames.PublicationFor("accounts_sync"), defaults.Publication);
        Assert.True(defaults.Owned);
        Assert.Equal(1L << 30, defaults.MaxLagBytes);
        Assert.Equal(TimeSpan.FromMinutes(5), defaults.MaxLagTime);

        var custom = Options("cdc: {slot: app_slot, publication: app_pub, max_lag: 512MB, max_lag_time: 90s, stall_after: 1h}");
        Assert.Equal("app_slot", custom.Slot);
        Assert.Equal("app_pub", custom.Publication);
        Assert.False(custom.Owned);
        Assert.Equal(512L << 20, custom.MaxLagBytes);
        Assert.Equal(TimeSpan.FromSeconds(90), custom.MaxLagTime);
        Assert.Equal(TimeSpan.FromHours(1), custom.StallAfter);

        Assert.Null(SlotHealthOptions.For(Sync("cursor: updated_at")));
        Assert.Null(SlotHealthOptions.For(Sync("cdc: false")));
        var error = Assert.Throws<ConfigException>(() => Options("cdc: {max_lag: lots}"));
        Assert.Contains("'max_lag' must be a size", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(13_002_342, "12.4 MB")]
    [InlineData(1L << 30, "1 GB")]
    [InlineData(150L << 30, "150 GB")]
    public void Bytes_read_as_a_person_reads_them(long bytes, string expected) => Assert.Equal(expected, SlotHealth.Bytes(bytes));

    private static string NewSlotName() => $"{CdcNames.Prefix}h{Environment.ProcessId}_{Interlocked.Increment(ref _slotCounter)}";

    private static SlotHealthOptions Options(string cdcYaml) => SlotHealthOptions.For(Sync(cdcYaml))!;

    private static SyncConfig Sync(string sourceExtra)
    {
        var config = SluiceConfig.Parse(
            $"""
            connections:
              app: {"{"}type: postgres, database: app{"}"}
              segment: {"{"}type: segment, write_key: k{"}"}
            syncs:
              accounts_sync:
                source:
                  connection: app
                  table: public.accounts
                  {sourceExtra}
                destination: {"{"}connection: segment, call: identify{"}"}
                mapping: {"{"}user_id: id{"}"}
            """, "sluice.yaml");
        return config.Syncs[0];
    }

    private static SlotHealthSample Sample(bool active, long lagBytes, string confirmed = "0/1000") =>
        new("sluice_accounts_sync", "app", active, active ? 4242 : null, lagBytes, lagBytes + 100, "reserved", null, null, confirmed, "0/F000000");

    private static SlotHealthSyncProgress Progress(DateTimeOffset lastSuccess) =>
        new("accounts_sync", "succeeded", lastSuccess.AddSeconds(-5), lastSuccess, lastSuccess, lastSuccess, "cdc/v1:0/1000", 10);

    private static async Task<NpgsqlTypes.NpgsqlLogSequenceNumber> Lsn(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return (NpgsqlTypes.NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync())!;
    }
}
