using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using Sluice.Core.State;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>
/// A CDC sync (PostgreSQL's WAL to Segment) killed with SIGKILL while changes stream, restarted: every change reaches
/// the emulator, and none twice after its messageId deduplication.
/// </summary>
public sealed class CdcTests
{
    private const string SyncName = "accounts_cdc";
    private const int Rows = 50;
    private const int Changes = 400;

    [Fact]
    public async Task A_cdc_sync_killed_while_changes_stream_delivers_every_change_exactly_once_after_deduplication()
    {
        await using var bed = await TestBed.CreateAsync(nameof(A_cdc_sync_killed_while_changes_stream_delivers_every_change_exactly_once_after_deduplication),
            $"CREATE TABLE accounts (id bigint PRIMARY KEY, status text NOT NULL, seats int NOT NULL); INSERT INTO accounts SELECT i, 'trial', 1 FROM generate_series(1, {Rows}) i;",
            at => $"""
                {at.Connections(requestsPerSecond: 10000)}
                syncs:
                  {SyncName}:
                    source: {"{"}connection: app, table: public.accounts, cdc: {"{"}heartbeat: 1s{"}"}{"}"}
                    destination: {"{"}connection: segment, call: identify{"}"}
                    mapping: {"{"}user_id: id, traits: {"{"}status: status, seats: seats{"}"}{"}"}
                    batch: {"{"}size: 25{"}"}

                """);
        Task? writer = null;
        await CleanUp.AfterAsync(async () =>
        {
            // The copy first: a copy killed half-way starts again and sends the rows only as they then are.
            await RunUntilAsync(bed, () => bed.Emulator.Stats.Unique >= Rows && Checkpoint(bed) is not (null or "snapshot"));

            // Every statement is a transaction of one change, each with content of its own (seats only grows).
            writer = Task.Run(async () =>
            {
                for (var i = 1; i <= Changes; i++)
                {
                    await bed.ExecuteAsync(i % 4 == 0
                        ? $"INSERT INTO accounts VALUES ({Rows + i}, 'trial', 1)"
                        : $"UPDATE accounts SET seats = seats + 1, status = 'paid' WHERE id = {1 + (i % Rows)}");
                }

                await bed.ExecuteAsync("INSERT INTO accounts VALUES (1000000, 'sentinel', 1)");
            });

            var kills = 0;
            foreach (var threshold in new[] { Rows + 80, Rows + 200 })
            {
                kills += await RunUntilAsync(bed, () => bed.Emulator.Stats.Unique >= threshold) ? 1 : 0;
            }

            await writer;
            Assert.True(kills == 2, $"the sync stopped on its own before it could be killed ({kills} kills); the test proves nothing");
            var expected = Rows + Changes + 1;
            await RunUntilAsync(bed, () => bed.Emulator.Stats.Unique >= expected);

            var stats = bed.Emulator.Stats;
            Assert.Equal(expected, stats.Unique);  // every change once after dedup: none lost, none under two ids
            Assert.Equal(Rows + (Changes / 4) + 1, stats.DistinctUserIds);
            Assert.Contains(bed.Emulator.Messages("identify"), m => m.UserId == "1000000");
        }, async () =>
        {
            // Each run was killed before its assertions; the writer may still be going when one failed.
            await Record.ExceptionAsync(() => writer ?? Task.CompletedTask);
            await ReplicationSlots.DropAllAsync(bed.Db);
        });
    }

    [Fact]
    public async Task Transitions_fire_once_each_with_the_old_value_and_deletes_arrive_as_the_configured_call()
    {
        await using var bed = await TestBed.CreateAsync(nameof(Transitions_fire_once_each_with_the_old_value_and_deletes_arrive_as_the_configured_call),
            "CREATE TABLE accounts (id bigint PRIMARY KEY, status text, seats int NOT NULL); ALTER TABLE accounts REPLICA IDENTITY FULL; " +
            "INSERT INTO accounts SELECT i, 'trial', 1 FROM generate_series(1, 5) i;",
            at => $"""
                {at.Connections()}
                syncs:
                  upgrades:
                    source: {"{"}connection: app, table: public.accounts, cdc: {"{"}start: now{"}"}{"}"}
                    destination:
                      connection: segment
                      call: track
                      event: Subscription Upgraded
                      transition: {"{"}column: status, from: trial, to: paid{"}"}
                      on_delete: {"{"}call: track, event: Account Deleted{"}"}
                    mapping: {"{"}user_id: id, properties: {"{"}seats: seats{"}"}{"}"}
                    on: [added, changed, deleted]

                """);
        await using var workspace = bed.Workspace();
        using var stop = new CancellationTokenSource();
        var elsewhere = await HoldTransactionOpenWhileTheSlotIsCreatedAsync(bed, "sluice_upgrades");
        var run = Task.Run(() => workspace.RunAsync("upgrades", RunKind.Incremental, null, stop.Token));
        await CleanUp.AfterAsync(async () =>
        {
            // start: now streams what commits after the slot's consistent point, which a slot being created has not
            // reached yet: changes made as soon as the slot exists may be before it, and are rightly never sent.
            await WaitUntilStreamingAsync(bed, "sluice_upgrades", run);
            foreach (var sql in new[]
            {
                "UPDATE accounts SET status = 'paid' WHERE id = 1",   // trial → paid: fires
                "UPDATE accounts SET seats = 5 WHERE id = 1",         // another column: nothing
                "UPDATE accounts SET status = 'free' WHERE id = 2",   // not the transition
                "UPDATE accounts SET status = 'trial' WHERE id = 1",  // paid → trial: nothing
                "UPDATE accounts SET status = 'paid' WHERE id = 1",   // trial → paid again: a second event, not a duplicate
                "DELETE FROM accounts WHERE id = 3",
            })
            {
                await bed.ExecuteAsync(sql);
            }

            await Eventually.HoldsAsync(() => bed.Emulator.Messages("track").Count >= 3 || run.IsCompleted, "three track calls",
                state: () => $"{bed.Emulator.Messages("track").Count} arrived");
            await StopAsync(stop, run);

            // Each call once, whatever order concurrent batches arrived in; the two upgrades of id 1 under distinct message ids.
            var events = bed.Emulator.Messages("track").Select(m => (m.UserId, Json: JsonDocument.Parse(m.Json).RootElement)).ToList();
            Assert.Equal(
                new (string?, string?, string?, int)[] { ("1", "Subscription Upgraded", "trial", 1), ("1", "Subscription Upgraded", "trial", 5), ("3", "Account Deleted", "trial", -1) },
                events.Select(e => (e.UserId, e.Json.GetProperty("event").GetString(), e.Json.GetProperty("properties").GetProperty("previous_status").GetString(),
                    e.Json.GetProperty("properties").TryGetProperty("seats", out var seats) ? seats.GetInt32() : -1)).Order().ToArray());
            Assert.Equal(0L, bed.Emulator.Stats.Duplicates);
        }, async () =>
        {
            // The run holds the slot while it streams: stop it first, or the slot cannot be dropped.
            await stop.CancelAsync();
            await Task.WhenAll(Record.ExceptionAsync(() => run), Record.ExceptionAsync(() => elsewhere));
            await ReplicationSlots.DropAllAsync(bed.Db);
        });
    }

    /// <summary>
    /// Waits until the sync streams from its slot: the slot is created (its consistent point reached, so
    /// <c>confirmed_flush_lsn</c> is set) and held by a walsender. Fails at once with the run's error if the run ends.
    /// </summary>
    private static Task WaitUntilStreamingAsync(TestBed bed, string slot, Task run) =>
        Eventually.HoldsAsync(async () =>
        {
            if (run.IsCompleted)
            {
                await run; // its error, if any, is the failure to report
                Assert.Fail("the sync ended before it streamed");
            }

            return (bool)(await bed.ScalarAsync($"SELECT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = '{slot}' AND active AND confirmed_flush_lsn IS NOT NULL)"))!;
        }, $"the sync streams from slot {slot}");

    /// <summary>Stops a run the test started and waits for it: a run stopped by the test ends cancelled, any other end is a failure.</summary>
    private static async Task StopAsync(CancellationTokenSource stop, Task run)
    {
        await stop.CancelAsync();
        var ended = await Record.ExceptionAsync(() => run);
        Assert.True(ended is null or OperationCanceledException, $"the sync failed: {ended}");
    }

    /// <summary>
    /// Another test's transaction, open in the same cluster as the parallel suite has them: a new slot reaches its
    /// consistent point (from which it streams what commits) only once every transaction running at its creation has
    /// ended. Opened now; the returned task ends it 2 s after the slot appears.
    /// </summary>
    private static async Task<Task> HoldTransactionOpenWhileTheSlotIsCreatedAsync(TestBed bed, string slot)
    {
        var other = await TestPostgres.CreateDataSourceAsync("cdc_concurrent_transaction");
        var connection = await other.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var xid = new NpgsqlCommand("SELECT pg_current_xact_id()", connection, transaction))
        {
            await xid.ExecuteScalarAsync(); // a transaction without a transaction id holds no slot back
        }

        return Task.Run(async () =>
        {
            await using (other)
            await using (connection)
            await using (transaction)
            {
                await Eventually.HoldsAsync(async () => (long)(await bed.ScalarAsync($"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'"))! == 1, $"slot {slot} exists");
                await Task.Delay(TimeSpan.FromSeconds(2)); // how long the other transaction lasts, not a wait for anything
                await transaction.CommitAsync();
            }
        });
    }

    /// <summary>Starts <c>sluice sync</c>, waits for <paramref name="enough"/>, then kills it (SIGKILL); true when it was still running.</summary>
    private static async Task<bool> RunUntilAsync(TestBed bed, Func<bool> enough)
    {
        using var process = bed.StartSluice("sync", SyncName, "-c", bed.ConfigPath);
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        var watch = Stopwatch.StartNew();
        while (!process.HasExited && !enough() && watch.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(5);
        }

        var running = !process.HasExited;
        if (running)
        {
            process.Kill(entireProcessTree: true); // SIGKILL: no cleanup, nothing confirmed on the way out
        }

        await process.WaitForExitAsync();
        var printed = string.Concat(await output);
        Assert.True(running, $"sluice sync exited with {process.ExitCode}: {printed}");
        Assert.True(enough(), $"not delivered within the limit; emulator has {bed.Emulator.Stats.Unique} unique events; {printed}");
        return running;
    }

    private static string? Checkpoint(TestBed bed)
    {
        try
        {
            return bed.ScalarAsync("SELECT value FROM sluice.checkpoints").GetAwaiter().GetResult() as string;
        }
        catch (Npgsql.PostgresException)
        {
            return null; // the state schema is not there yet
        }
    }
}
