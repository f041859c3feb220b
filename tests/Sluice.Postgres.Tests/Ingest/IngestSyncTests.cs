using System.Text;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.State;
using Sluice.State.Ingest;
using static Sluice.Postgres.Tests.Ingest.IngestTestDatabase;

namespace Sluice.Postgres.Tests.Ingest;

/// <summary>The ingest source under the real engine and state store, with a destination that records what it acknowledged.</summary>
public sealed class IngestSyncTests
{
    private const string SyncName = "web_to_recorder";
    private static readonly ConfigLocation Location = new("sluice.yaml", 1, 1, "syncs.web_to_recorder");

    [Fact]
    public async Task Every_event_is_delivered_once_across_a_cancel_and_a_restart()
    {
        await using var db = await CreateAsync(nameof(Every_event_is_delivered_once_across_a_cancel_and_a_restart));
        var store = await PostgresStateStore.OpenAsync(db.DataSource, Schema);
        await using (var queue = db.Queue())
        {
            for (var n = 1; n <= 200; n += 20)
            {
                await queue.EnqueueAsync([.. Events("web", n, 20), .. Events("app", 1000 + n, 3)], default);
            }
        }

        var destination = new RecordingDestination();
        using (var firstRun = new CancellationTokenSource())
        {
            // The fourth write is where the process stops: the three batches before it are acknowledged and committed.
            destination.BeforeWrite = async (call, ct) =>
            {
                if (call == 3)
                {
                    await WaitForCheckpointAsync(db, destination.Acknowledged[^1].Position.ToCheckpoint().Value);
                    await firstRun.CancelAsync();
                    ct.ThrowIfCancellationRequested();
                }
            };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunAsync(db, store, destination, firstRun.Token));
        }

        // Three batches of at most 25 (a streaming read cuts one short when the source has nothing more at hand).
        Assert.InRange(destination.Acknowledged.Count, 3, 75);

        await using (var queue = db.Queue())
        {
            await queue.EnqueueAsync(Events("web", 201, 50), default);
        }

        destination.BeforeWrite = (_, _) => Task.CompletedTask;
        using (var secondRun = new CancellationTokenSource())
        {
            var run = RunAsync(db, store, destination, secondRun.Token);
            while (destination.Acknowledged.Count < 250 && !run.IsCompleted)
            {
                await Task.Delay(10);
            }

            await WaitForCheckpointAsync(db, destination.Acknowledged[^1].Position.ToCheckpoint().Value);
            await secondRun.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }

        Assert.Equal(Enumerable.Range(1, 250).Select(n => Id(n).ToString()), destination.Acknowledged.Select(c => c.Key));
        Assert.Equal(destination.Acknowledged.Select(c => c.Key), destination.MessageIds);
    }

    private static async Task RunAsync(IngestTestDatabase db, PostgresStateStore store, RecordingDestination destination, CancellationToken ct)
    {
        await using var source = new IngestQueueSource(db.DataSource, Schema, "web", new IngestQueueSourceOptions { PageSize = 40, PollInterval = TimeSpan.FromMilliseconds(10) });
        var sync = new SyncDefinition(SyncName, source, MappingSpec.None(Location), destination, new DeliveryGate(new RateLimitOptions(), TimeProvider.System), new SyncRunOptions());
        await new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, ct);
    }

    /// <summary>Until the sync's stored checkpoint is <paramref name="value"/> (the committer runs behind the sender).</summary>
    private static async Task WaitForCheckpointAsync(IngestTestDatabase db, string value)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using var command = db.DataSource.CreateCommand(
                $"SELECT c.value FROM {Schema}.checkpoints c JOIN {Schema}.syncs s ON s.id = c.sync_id WHERE s.name = $1");
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = SyncName });
            if (await command.ExecuteScalarAsync() as string == value)
            {
                return;
            }

            Assert.True(attempt < 1_000, $"the checkpoint never reached {value}");
            await Task.Delay(10);
        }
    }

    /// <summary>Writes nothing anywhere: keeps, in order, every change it acknowledged and the message id it was sent under.</summary>
    private sealed class RecordingDestination : IDestination
    {
        private readonly List<Change> _acknowledged = [];
        private readonly List<string> _messageIds = [];
        private int _calls;

        public string Description => "recorder";

        public MappingShape Shape { get; } = new("recorder", [], [])
        {
            ExtraColumns = [("event_id", Location), ("payload", Location)],
        };

        public DestinationLimits Limits { get; } = new(MaxRecords: 25, MaxBatchBytes: 1_000_000, MaxRecordBytes: 10_000, MaxInFlight: 1);

        /// <summary>Runs before a write is acknowledged, with the write's index.</summary>
        public Func<int, CancellationToken, Task> BeforeWrite { get; set; } = (_, _) => Task.CompletedTask;

        public List<Change> Acknowledged
        {
            get
            {
                lock (_acknowledged)
                {
                    return [.. _acknowledged];
                }
            }
        }

        public List<string> MessageIds
        {
            get
            {
                lock (_acknowledged)
                {
                    return [.. _messageIds];
                }
            }
        }

        public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

        public EncodedRecord Encode(Change change, CompiledMapping mapping)
        {
            var id = (Guid)change.Values[mapping.OrdinalOf("event_id")]!;
            var payload = (string)change.Values[mapping.OrdinalOf("payload")]!;
            return new EncodedRecord(change, id.ToString(), Encoding.UTF8.GetBytes(payload));
        }

        public async Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
        {
            await BeforeWrite(Interlocked.Increment(ref _calls) - 1, ct);
            lock (_acknowledged)
            {
                _acknowledged.AddRange(batch.Select(r => r.Change));
                _messageIds.AddRange(batch.Select(r => r.MessageId));
            }

            return Enumerable.Repeat(WriteResult.Ok, batch.Count).ToArray();
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
