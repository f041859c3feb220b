using System.Diagnostics;
using System.Text.Json;
using Sluice.Core.State;

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
        try
        {
            // The copy first: a copy killed half-way starts again and sends the rows only as they then are.
            await RunUntilAsync(bed, () => bed.Emulator.Stats.Unique >= Rows && Checkpoint(bed) is not (null or "snapshot"));

            // Every statement is a transaction of one change, each with content of its own (seats only grows).
            var writer = Task.Run(async () =>
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
        }
        finally
        {
            await DropSlotAsync(bed);
        }
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
        try
        {
            await using var workspace = bed.Workspace();
            using var stop = new CancellationTokenSource();
            var run = Task.Run(() => workspace.RunAsync("upgrades", RunKind.Incremental, null, stop.Token));
            await EventuallyAsync(async () => (long)(await bed.ScalarAsync("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'sluice_upgrades'"))! == 1);
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

            await EventuallyAsync(() => Task.FromResult(bed.Emulator.Messages("track").Count >= 3 || run.IsCompleted));
            await stop.CancelAsync();
            await Record.ExceptionAsync(() => run);

            // Each call once, whatever order concurrent batches arrived in; the two upgrades of id 1 under distinct message ids.
            var events = bed.Emulator.Messages("track").Select(m => (m.UserId, Json: JsonDocument.Parse(m.Json).RootElement)).ToList();
            Assert.Equal(
                new (string?, string?, string?, int)[] { ("1", "Subscription Upgraded", "trial", 1), ("1", "Subscription Upgraded", "trial", 5), ("3", "Account Deleted", "trial", -1) },
                events.Select(e => (e.UserId, e.Json.GetProperty("event").GetString(), e.Json.GetProperty("properties").GetProperty("previous_status").GetString(),
                    e.Json.GetProperty("properties").TryGetProperty("seats", out var seats) ? seats.GetInt32() : -1)).Order().ToArray());
            Assert.Equal(0L, bed.Emulator.Stats.Duplicates);
        }
        finally
        {
            await DropSlotAsync(bed);
        }
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "never happened");
            await Task.Delay(20);
        }
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

    /// <summary>A slot holds WAL for ever: drop it once the killed process's walsender has let go of it.</summary>
    private static async Task DropSlotAsync(TestBed bed)
    {
        var watch = Stopwatch.StartNew();
        while ((long)(await bed.ScalarAsync("SELECT count(*) FROM pg_replication_slots WHERE database = current_database() AND active"))! > 0 && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        await bed.ExecuteAsync("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()");
    }
}
