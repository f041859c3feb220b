using System.Collections.Concurrent;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.State;
using Sluice.Postgres.Sources;
using Sluice.State;
using Sluice.Testing;
using Sluice.Testing.Doubles;

namespace Sluice.Postgres.Tests.State;

/// <summary>
/// Early batches (<see cref="IEarlyBatchWrites"/>) on the real state store: a first load shows the destination each
/// batch's records as they join it — the very records, in the order, that the batch then hands to the write, cut
/// before it and disposed after — and a run whose ledger already knows destination ids shows none (identification
/// would change the batch on the way).
/// </summary>
public sealed class EarlyBatchTests
{
    private const string SyncName = "users_early";

    private const int Rows = 230;

    [Fact]
    public async Task A_first_load_shows_each_batch_as_it_fills_and_a_run_with_a_known_ledger_shows_none()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_first_load_shows_each_batch_as_it_fills_and_a_run_with_a_known_ledger_shows_none));
        await ExecuteAsync(db, $"CREATE TABLE users (id bigint PRIMARY KEY, email text, updated_at timestamptz NOT NULL); INSERT INTO users SELECT i, 'u' || i || '@example.com', '2024-01-01'::timestamptz + i * interval '1 second' FROM generate_series(1, {Rows}) i");
        var store = await PostgresStateStore.OpenAsync(db);
        var destination = new EarlyDestination();

        var first = await new SyncRunner(store, TimeProvider.System).RunAsync(Sync(db, destination), RunKind.Incremental, default);

        Assert.Equal(Rows, first.Acknowledged);
        var written = destination.Written.ToList();
        Assert.Equal(10, written.Count); // 230 rows in batches of 25
        Assert.Equal(written.Count, destination.Shown.Count);
        foreach (var batch in written)
        {
            var shown = Assert.Single(destination.Shown, s => s.Records.Count > 0 && ReferenceEquals(s.Records[0], batch[0]));
            Assert.True(shown.CutBeforeWrite, "the batch was written before it was cut");
            Assert.Equal(batch.Count, shown.Records.Count);
            Assert.All(batch.Zip(shown.Records), pair => Assert.Same(pair.First, pair.Second));
        }

        Assert.All(destination.Shown, s => Assert.True(s.Disposed, "an early batch was never disposed"));

        destination.Shown.Clear();
        await ExecuteAsync(db, "UPDATE users SET email = 'changed' || id, updated_at = updated_at + interval '1 day' WHERE id % 3 = 0");

        var second = await new SyncRunner(store, TimeProvider.System).RunAsync(Sync(db, destination), RunKind.Incremental, default);

        Assert.Equal(Rows / 3, second.Acknowledged);
        Assert.Empty(destination.Shown);
    }

    [Fact]
    public async Task A_first_load_asks_the_ledger_nothing_for_its_first_batch_and_every_later_lookup_still_finds_the_ids()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_first_load_asks_the_ledger_nothing_for_its_first_batch_and_every_later_lookup_still_finds_the_ids));
        await ExecuteAsync(db, $"CREATE TABLE users (id bigint PRIMARY KEY, email text, updated_at timestamptz NOT NULL); INSERT INTO users SELECT i, 'u' || i || '@example.com', '2024-01-01'::timestamptz + i * interval '1 second' FROM generate_series(1, {Rows}) i");
        var store = new LookupCountingStore(await PostgresStateStore.OpenAsync(db));
        var destination = new EarlyDestination();

        var first = await new SyncRunner(store, TimeProvider.System).RunAsync(Sync(db, destination), RunKind.Incremental, default);

        Assert.Equal(Rows, first.Acknowledged);
        Assert.Equal(10, destination.Written.Count);
        // The producer shows batches in their order: the first shown is the run's first batch.
        var firstBatch = destination.Shown[0].Records.Select(r => r.Change.Key).ToHashSet();
        Assert.Equal(25, firstBatch.Count);
        Assert.DoesNotContain(store.Asked, keys => keys.Overlaps(firstBatch));
        // Every later batch is still looked up: by then this run may have committed entries.
        Assert.Equal(9, store.Asked.Count);
        Assert.Equal(Rows, destination.Created);

        store.Asked.Clear();
        destination.Written.Clear();
        await ExecuteAsync(db, "UPDATE users SET email = 'changed' || id, updated_at = updated_at + interval '1 day' WHERE id % 3 = 0");

        var second = await new SyncRunner(store, TimeProvider.System).RunAsync(Sync(db, destination), RunKind.Incremental, default);

        // A run after the first load asks for its first batch too, and updates every record by the id the ledger knows.
        Assert.Equal(Rows / 3, second.Acknowledged);
        var updated = destination.Written.SelectMany(b => b).ToList();
        Assert.Contains(store.Asked, keys => keys.Contains(updated[0].Change.Key));
        Assert.All(updated, r => Assert.NotNull(r.KnownDestinationId));
        Assert.Equal(Rows, destination.Created);
    }

    private static SyncDefinition Sync(NpgsqlDataSource db, EarlyDestination destination)
    {
        var location = new ConfigLocation("test.yaml", 1, 1, "mapping");
        var source = new TableSource(db, new PostgresConnectionOptions { Name = "app", Database = "test" }, new TableSourceOptions { Table = "users", Cursor = "updated_at", PageSize = 40 });
        return new SyncDefinition(SyncName, source,
            new MappingSpec([new FieldSpec("id", "id", null, location), new FieldSpec("email", "email", null, location)], location), destination,
            new DeliveryGate(new RateLimitOptions(), TimeProvider.System), new SyncRunOptions { BatchSize = 25 });
    }

    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Records what it is shown early and what it is asked to write.</summary>
    private sealed class EarlyDestination : IdAssigningDestination, IDestination, IEarlyBatchWrites
    {
        public EarlyDestination() => BeforeWrite = batch =>
        {
            Written.Enqueue([.. batch]);
            foreach (var shown in Shown.Where(s => s.Records.Count > 0 && ReferenceEquals(s.Records[0], batch[0])))
            {
                shown.CutBeforeWrite = shown.Cut;
            }
        };

        public ConcurrentQueue<List<EncodedRecord>> Written { get; } = new();

        /// <summary>Whether it says it never reads a record's values once encoded (<see cref="IDestination.WritesPayloadsOnly"/>; it does not).</summary>
        public bool PayloadsOnly { get; init; }

        public bool WritesPayloadsOnly => PayloadsOnly;

        public List<Shown> Shown { get; } = [];

        public IEarlyBatch? StartBatch(CancellationToken ct)
        {
            var shown = new Shown();
            lock (Shown)
            {
                Shown.Add(shown);
            }

            return shown;
        }
    }

    private sealed class Shown : IEarlyBatch
    {
        public List<EncodedRecord> Records { get; } = [];

        public bool Cut { get; private set; }

        public bool CutBeforeWrite { get; set; }

        public bool Disposed { get; private set; }

        public ValueTask AddAsync(EncodedRecord record, CancellationToken ct)
        {
            Assert.False(Cut, "a record joined a batch after its cut");
            Records.Add(record);
            return ValueTask.CompletedTask;
        }

        public ValueTask CutAsync(CancellationToken ct)
        {
            Cut = true;
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The real state store, noting the keys each record-ledger lookup asks for.</summary>
    private sealed class LookupCountingStore(ISyncStateStore store) : ISyncStateStore
    {
        public ConcurrentQueue<HashSet<string>> Asked { get; } = new();

        public async Task<ISyncLease?> TryAcquireAsync(string syncName, CancellationToken ct) =>
            await store.TryAcquireAsync(syncName, ct) is { } lease ? new Lease(this, lease) : null;

        private sealed class Lease(LookupCountingStore owner, ISyncLease inner) : ISyncLease, IRecordStateLookup
        {
            public string SyncName => inner.SyncName;

            public IRecordStateReader RecordStates => inner.RecordStates;

            public IRecordStateLookup RecordLookup => this;

            public IWaitingRecords Waiting => inner.Waiting;

            public Task<IReadOnlyDictionary<string, RecordState>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
            {
                owner.Asked.Enqueue([.. keys]);
                return inner.RecordLookup.FindAsync(keys, ct);
            }

            public Task<bool> AnyAsync(CancellationToken ct) => inner.RecordLookup.AnyAsync(ct);

            public Task<Sluice.Core.Checkpoints.Checkpoint?> LoadCheckpointAsync(CancellationToken ct) => inner.LoadCheckpointAsync(ct);

            public bool CommitsWriteBack(Sluice.Core.Engine.WriteBack.WriteBackStatement statement) => inner.CommitsWriteBack(statement);

            public Task<IReadOnlyList<Sluice.Core.Engine.WriteBack.WrittenBackId>> PendingWriteBacksAsync(CancellationToken ct) => inner.PendingWriteBacksAsync(ct);

            public Task WrittenBackAsync(IReadOnlyList<Sluice.Core.Engine.WriteBack.WrittenBackId> ids, CancellationToken ct) => inner.WrittenBackAsync(ids, ct);

            public bool SharesTransactionWith(string database) => inner.SharesTransactionWith(database);

            public Task<System.Data.Common.DbTransaction> BeginSharedTransactionAsync(CancellationToken ct) => inner.BeginSharedTransactionAsync(ct);

            public Task<long> StartRunAsync(RunKind kind, CancellationToken ct) => inner.StartRunAsync(kind, ct);

            public Task CommitBatchAsync(BatchCommit commit, CancellationToken ct) => inner.CommitBatchAsync(commit, ct);

            public Task CommitBatchesAsync(IReadOnlyList<BatchCommit> commits, CancellationToken ct) => inner.CommitBatchesAsync(commits, ct);

            public Task FinishRunAsync(long runId, RunOutcome outcome, RunAudit? audit, CancellationToken ct) => inner.FinishRunAsync(runId, outcome, audit, ct);

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
