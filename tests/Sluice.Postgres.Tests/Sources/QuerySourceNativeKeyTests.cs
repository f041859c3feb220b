using System.Text.Json;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Diffing;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Postgres.Sources;
using Sluice.State;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Sources;

/// <summary>
/// A table-shaped source whose key is one integer or uuid column with a unique index reads its keys unsorted, in the
/// table's order, and the engine looks them up among the stored keys held as numbers: the same changes come out as from
/// the merge by key text, which every other key (text, no unique index, composite) still uses.
/// </summary>
public sealed class QuerySourceNativeKeyTests
{
    [Theory]
    [InlineData("bigint PRIMARY KEY", "i * 7 - 50", true)]
    [InlineData("integer UNIQUE", "i * 1000 - 20000", true)]
    [InlineData("smallint PRIMARY KEY", "i - 30", true)]
    [InlineData("uuid PRIMARY KEY", "md5(i::text)::uuid", true)]
    [InlineData("text PRIMARY KEY", "'k' || i", false)]
    [InlineData("bigint NOT NULL", "i", false)]
    [InlineData("bigint NOT NULL UNIQUE DEFERRABLE", "i", true)]
    public async Task Keys_that_are_integers_or_uuids_with_a_unique_index_are_read_unsorted_and_every_change_is_found(string keyColumn, string keyOf, bool native)
    {
        var name = "native keys " + keyColumn;
        await using var bed = await Bed.StartAsync(name, $"""
            CREATE TABLE items (id {keyColumn}, label text NOT NULL, n int NOT NULL);
            INSERT INTO items SELECT {keyOf}, 'item ' || i, i FROM generate_series(1, 40) i;
            CREATE UNIQUE INDEX items_partial ON items (id) WHERE n > 0; -- partial: vouches for no row outside it
            """, "SELECT id, label, n FROM items", ["id"]);
        Assert.Equal(40, (await bed.SyncAsync()).Count);

        var key = await KeysAsync(bed.Db, "SELECT id::text FROM items WHERE n IN (3, 17, 25, 31) ORDER BY n");
        await ExecuteAsync(bed.Db, $"""
            UPDATE items SET label = 'changed' WHERE n = 3;
            UPDATE items SET n = n WHERE n = 17; -- touched, not changed
            DELETE FROM items WHERE n = 25;
            UPDATE items SET label = 'changed too' WHERE n = 31;
            INSERT INTO items SELECT {keyOf}, 'new', i FROM generate_series(41, 41) i;
            """);
        var added = (await KeysAsync(bed.Db, "SELECT id::text FROM items WHERE n = 41"))[0];
        var changes = await bed.SyncAsync();

        Assert.Equal(native ? 1 : 0, bed.Source.KeyScansInTableOrder);
        var expected = new[] { (key[0], ChangeKinds.Changed), (key[2], ChangeKinds.Deleted), (key[3], ChangeKinds.Changed), (added, ChangeKinds.Added) }
            .OrderBy(c => c.Item1, StringComparer.Ordinal);
        Assert.Equal(expected, changes.Select(c => (c.Key, c.Kind)).OrderBy(c => c.Key, StringComparer.Ordinal));
        Assert.Equal("changed", changes.Single(c => c.Key == key[0]).Values[1]);
        Assert.Equal(key[2], changes.Single(c => c.Kind == ChangeKinds.Deleted).Values[0]); // the deleted record's key column
        Assert.Equal(4, bed.Fetched); // 3, 17, 31 and 41: written since; the deleted one by the key scan alone
        Assert.Empty(await bed.SyncAsync());
        Assert.Equal(0, bed.Fetched);
    }

    [Fact]
    public async Task A_composite_key_is_merged_by_text()
    {
        await using var bed = await Bed.StartAsync(nameof(A_composite_key_is_merged_by_text), """
            CREATE TABLE items (id bigint PRIMARY KEY, label text NOT NULL, n int NOT NULL);
            INSERT INTO items SELECT i, 'item ' || i, i FROM generate_series(1, 10) i;
            """, "SELECT id, label, n FROM items", ["id", "n"]);
        await bed.SyncAsync();
        await ExecuteAsync(bed.Db, "UPDATE items SET label = 'changed' WHERE id = 4; DELETE FROM items WHERE id = 9");

        var changes = await bed.SyncAsync();

        Assert.Equal(0, bed.Source.KeyScansInTableOrder);
        Assert.Equal([("[\"4\",\"4\"]", ChangeKinds.Changed), ("[\"9\",\"9\"]", ChangeKinds.Deleted)], changes.Select(c => (c.Key, c.Kind)));
    }

    [Fact]
    public async Task A_stored_key_that_is_not_a_canonical_integer_is_merged_by_text_and_deleted()
    {
        await using var bed = await Bed.StartAsync(nameof(A_stored_key_that_is_not_a_canonical_integer_is_merged_by_text_and_deleted), """
            CREATE TABLE items (id bigint PRIMARY KEY, label text NOT NULL, n int NOT NULL);
            INSERT INTO items SELECT i, 'item ' || i, i FROM generate_series(1, 10) i;
            """, "SELECT id, label, n FROM items", ["id"]);
        await bed.SyncAsync();
        // As a ledger could hold after the key column changed type: "007" is not the text of any bigint the table returns.
        await bed.StoreAsync(new RecordState("007", new byte[16]));
        await ExecuteAsync(bed.Db, "UPDATE items SET label = 'changed' WHERE id = 7");

        var changes = await bed.SyncAsync();

        Assert.Equal(0, bed.Source.KeyScansInTableOrder);
        Assert.Equal([("007", ChangeKinds.Deleted), ("7", ChangeKinds.Changed)], changes.Select(c => (c.Key, c.Kind)));
    }

    [Fact]
    public async Task An_unsorted_key_scan_left_unfinished_gives_way_to_the_sorted_one_in_the_same_snapshot()
    {
        await using var bed = await Bed.StartAsync(nameof(An_unsorted_key_scan_left_unfinished_gives_way_to_the_sorted_one_in_the_same_snapshot), """
            CREATE TABLE items (id bigint PRIMARY KEY, label text NOT NULL, n int NOT NULL);
            INSERT INTO items SELECT i, 'item ' || i, i FROM generate_series(1, 5000) i;
            """, "SELECT id, label, n FROM items", ["id"]);
        await bed.SyncAsync();

        // As the engine does when the stored keys cannot be held as numbers, found out after the source's scan began:
        // the COPY is stopped part way (5,000 keys are more than one read of it).
        await using (var read = (await bed.Source.Diff.OpenSignalRead!(new ReadRequest(["id", "label", "n"], bed.Checkpoint), default))!)
        {
            Assert.Equal(NativeKeyType.Integer, read.NativeKeys);
            await using (var native = read.NativeKeysAsync(default).GetAsyncEnumerator())
            {
                Assert.True(await native.MoveNextAsync());
            }

            await ExecuteAsync(bed.Db, "INSERT INTO items VALUES (5001, 'after the snapshot', 5001)");
            var keys = new List<string>();
            await foreach (var signal in read.KeysAsync(default))
            {
                keys.Add(signal.Key);
            }

            Assert.Equal(Enumerable.Range(1, 5000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal), keys);
            Assert.Equal("999", ((QueryPosition)read.End.Position).LastKey);
            Assert.Equal(0, bed.Source.KeyScansInTableOrder);
        }

        // The stopped COPY's connection went back to the pool in a state the next read can use.
        Assert.Equal([("5001", ChangeKinds.Added)], (await bed.SyncAsync()).Select(c => (c.Key, c.Kind)));
        Assert.Equal(1, bed.Source.KeyScansInTableOrder);
    }

    [Fact]
    public async Task The_unsorted_key_scan_sees_the_reads_snapshot_and_rows_are_fetched_from_it_while_the_scan_runs()
    {
        await using var bed = await Bed.StartAsync(nameof(The_unsorted_key_scan_sees_the_reads_snapshot_and_rows_are_fetched_from_it_while_the_scan_runs), """
            CREATE TABLE items (id bigint PRIMARY KEY, label text NOT NULL, n int NOT NULL);
            INSERT INTO items SELECT i, 'item ' || i, i FROM generate_series(1, 5000) i;
            """, "SELECT id, label, n FROM items", ["id"]);
        await bed.SyncAsync();
        await ExecuteAsync(bed.Db, "UPDATE items SET label = 'before the read' WHERE id = 4000");

        await using var read = (await bed.Source.Diff.OpenSignalRead!(new ReadRequest(["id", "label", "n"], bed.Checkpoint), default))!;
        // Written after the read began: its key scan (a COPY on a connection of its own) must not see any of it.
        await ExecuteAsync(bed.Db, "UPDATE items SET label = 'after the read' WHERE id IN (4000, 4500); DELETE FROM items WHERE id = 4700; INSERT INTO items VALUES (5001, 'new', 5001)");
        var keys = new List<NativeKeySignal>();
        var fetched = new List<Change>();
        await foreach (var signal in read.NativeKeysAsync(default))
        {
            keys.Add(signal);
            if (signal.Key == 4000 || signal.Key == 4500)
            {
                // As the engine does: rows fetched on the read's connection while the key scan's COPY is still open.
                await foreach (var row in read.FetchAsync([new KeySignal(((long)signal.Key).ToString(System.Globalization.CultureInfo.InvariantCulture), false, signal.Handle)], default))
                {
                    fetched.Add(row);
                }
            }
        }

        Assert.Equal(Enumerable.Range(1, 5000).Select(i => (UInt128)i), keys.Select(k => k.Key).Order());
        Assert.Equal(["before the read", "item 4500"], fetched.Select(c => (string)c.Values[1]!).Order(StringComparer.Ordinal));
        Assert.Equal(1, bed.Source.KeyScansInTableOrder);
    }

    [Fact]
    public async Task A_row_with_no_key_stops_the_unsorted_key_scan()
    {
        await using var bed = await Bed.StartAsync(nameof(A_row_with_no_key_stops_the_unsorted_key_scan), """
            CREATE TABLE items (id bigint UNIQUE, label text NOT NULL, n int NOT NULL);
            INSERT INTO items SELECT i, 'item ' || i, i FROM generate_series(1, 10) i;
            """, "SELECT id, label, n FROM items", ["id"]);
        await bed.SyncAsync();
        await ExecuteAsync(bed.Db, "INSERT INTO items VALUES (NULL, 'no key', 11)");

        var error = await Assert.ThrowsAsync<Core.Errors.SluiceException>(bed.SyncAsync);

        Assert.Contains("a row has no key", error.Message, StringComparison.Ordinal);
    }

    private static async Task<List<string>> KeysAsync(NpgsqlDataSource db, string sql)
    {
        var keys = new List<string>();
        await using var command = db.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    /// <summary>One sync's source, ledger and checkpoint, committed after each read as the engine would once every batch is acknowledged.</summary>
    private sealed class Bed : IAsyncDisposable
    {
        private readonly ISyncLease _lease;
        private readonly IReadOnlyList<string> _columns;
        private long _fetchedBefore;

        private Bed(NpgsqlDataSource db, ISyncLease lease, QuerySource source, IReadOnlyList<string> columns)
        {
            Db = db;
            _lease = lease;
            Source = source;
            _columns = columns;
        }

        public NpgsqlDataSource Db { get; }

        public QuerySource Source { get; }

        public Checkpoint? Checkpoint { get; private set; }

        /// <summary>Whole rows the last read fetched.</summary>
        public long Fetched { get; private set; }

        public static async Task<Bed> StartAsync(string name, string setUp, string query, IReadOnlyList<string> key)
        {
            var db = await TestPostgres.CreateDataSourceAsync(name.Replace(' ', '_'));
            await ExecuteAsync(db, setUp);
            var store = await PostgresStateStore.OpenAsync(db);
            var lease = (await store.TryAcquireAsync("s", default))!;
            var options = QuerySourceOptions.Bind(ConfigSection.Parse($"syncs:\n  s:\n    source:\n      query: {JsonSerializer.Serialize(query)}\n      key: {JsonSerializer.Serialize(key)}\n")
                .GetSection("syncs")!.GetSection("s")!.GetSection("source")!);
            return new Bed(db, lease, new QuerySource(db, new PostgresConnectionOptions { Name = "app", Database = "test" }, options), ["id", "label", "n"]);
        }

        /// <summary>Stores a ledger entry as a run would.</summary>
        public async Task StoreAsync(RecordState state)
        {
            await _lease.LoadCheckpointAsync(default);
            var run = await _lease.StartRunAsync(RunKind.Incremental, default);
            await _lease.CommitBatchAsync(new BatchCommit(run, 0, [], [], Checkpoint!, 1) { RecordStates = [state] }, default);
        }

        /// <summary>
        /// Reads from the checkpoint and commits what it found with the read's last position, after every transaction
        /// older than the test's last write has ended (another test's open transaction holds the snapshot back).
        /// </summary>
        public async Task<List<Change>> SyncAsync()
        {
            var written = Xid(await ScalarAsync(Db, "SELECT pg_current_xact_id()::text"));
            await Eventually.HoldsAsync(async () => Xid(await ScalarAsync(Db, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text")) > written,
                "every transaction older than the test's writes has ended");

            var request = new ReadRequest(_columns, Checkpoint) { RecordStates = _lease.RecordStates };
            var changes = new List<Change>();
            await foreach (var change in ChangeDiffer.ReadAsync(Source, request, default))
            {
                changes.Add(change);
            }

            Fetched = Source.RowsRead - _fetchedBefore;
            _fetchedBefore = Source.RowsRead;
            await _lease.LoadCheckpointAsync(default);
            var run = await _lease.StartRunAsync(RunKind.Incremental, default);
            var records = changes.Where(c => !c.IsProgress).ToList();
            Checkpoint = changes.Count == 0 ? Checkpoint : changes[^1].Position.ToCheckpoint();
            await _lease.CommitBatchAsync(new BatchCommit(run, 0, [], [], Checkpoint!, records.Count)
            {
                RecordStates = records.Select(c => c.Operation == ChangeOperation.Delete ? RecordState.Forget(c.Key) : new RecordState(c.Key, c.Fingerprint)).ToList(),
            }, default);
            return records;
        }

        private static ulong Xid(object? text) => ulong.Parse((string)text!, System.Globalization.CultureInfo.InvariantCulture);

        public async ValueTask DisposeAsync()
        {
            await _lease.DisposeAsync();
            await Db.DisposeAsync();
        }
    }
}
