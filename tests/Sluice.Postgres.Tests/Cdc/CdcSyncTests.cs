using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.State;
using Sluice.Testing.Doubles;

namespace Sluice.Postgres.Tests.Cdc;

/// <summary>The CDC source under the real engine and state store: stopped while changes stream, restarted, nothing lost or doubled.</summary>
public sealed class CdcSyncTests
{
    private const string SyncName = "cdc_restarts";

    [Fact]
    public async Task Every_change_arrives_exactly_once_after_deduplication_across_restarts_while_changes_stream()
    {
        await using var bed = await CdcTestBed.CreateAsync(nameof(Every_change_arrives_exactly_once_after_deduplication_across_restarts_while_changes_stream),
            "CREATE TABLE accounts (id int PRIMARY KEY, seats int); INSERT INTO accounts SELECT 1000 + i, 1 FROM generate_series(1, 40) i;");
        var store = await PostgresStateStore.OpenAsync(bed.Db);
        var destination = new RecordingDestination();

        // One statement per transaction, each touching one row: the changes the sync must deliver.
        var expected = Enumerable.Range(1001, 40).Select(i => (Key(i), ChangeKinds.Added)).ToList();
        var statements = new List<string>();
        for (var i = 1; i <= 150; i++)
        {
            statements.Add($"INSERT INTO accounts VALUES ({i}, 1)");
            expected.Add((Key(i), ChangeKinds.Added));
            if (i % 3 == 0)
            {
                statements.Add($"UPDATE accounts SET seats = seats + 1 WHERE id = {i - 1}");
                expected.Add((Key(i - 1), ChangeKinds.Changed));
            }

            if (i % 5 == 0)
            {
                statements.Add($"DELETE FROM accounts WHERE id = {i - 2}");
                expected.Add((Key(i - 2), ChangeKinds.Deleted));
            }
        }

        statements.Add("INSERT INTO accounts VALUES (99999, 1)");
        expected.Add(("99999", ChangeKinds.Added));

        // The copy first (a copy that is interrupted starts again, and sends only the rows as they are then).
        await RunUntilAsync(bed, store, destination, () => destination.Received.Count >= 40, copied: true);
        var writer = Task.Run(async () =>
        {
            foreach (var statement in statements)
            {
                await bed.ExecuteAsync(statement);
            }
        });

        // Stopped twice at arbitrary points while the writer goes on, then run until the last change is through.
        await RunUntilAsync(bed, store, destination, () => destination.Received.Count >= 60);
        await RunUntilAsync(bed, store, destination, () => destination.Received.Count >= 160);
        await writer;
        await RunUntilAsync(bed, store, destination, () => destination.Received.Any(r => r.Key == "99999"));

        var delivered = destination.Received.DistinctBy(r => r.MessageId).Select(r => (r.Key, r.Kind)).ToList();
        Assert.Equal(expected.Order(), delivered.Order());
    }

    private static async Task RunUntilAsync(CdcTestBed bed, ISyncStateStore store, RecordingDestination destination, Func<bool> enough, bool copied = false)
    {
        await using var source = bed.Source(SyncName, "table: accounts\ncdc: true");
        var sync = new SyncDefinition(SyncName, source, MappingSpec.None(new ConfigLocation("test.yaml", 1, 1, "syncs.s")), destination,
            new DeliveryGate(new RateLimitOptions(), TimeProvider.System), new SyncRunOptions { On = ChangeKinds.Added | ChangeKinds.Changed | ChangeKinds.Deleted });
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, stop.Token));
        await CdcTestBed.EventuallyAsync(() => Task.FromResult(enough() || run.IsCompleted), "enough delivered");
        if (copied)
        {
            await CdcTestBed.EventuallyAsync(async () => await bed.ScalarAsync<string>($"SELECT value FROM sluice.checkpoints") != "snapshot", "the copy committed");
        }

        await stop.CancelAsync();
        var stopped = await Record.ExceptionAsync(() => run);
        Assert.True(stopped is OperationCanceledException, $"the run stopped with {stopped}");
    }

    private static string Key(int id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
