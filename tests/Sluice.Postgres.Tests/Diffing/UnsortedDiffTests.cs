using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Diffing;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Postgres.State;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Diffing;

/// <summary>
/// The engine's diff of a source that yields keys in no order (<see cref="KeyOrder.Unsorted"/>), against the stored
/// records of a real state store: look-ups a chunk at a time, deletions found once the read has ended well.
/// </summary>
public sealed class UnsortedDiffTests
{
    /// <summary>More than one chunk of look-ups (<see cref="UnsortedDiff"/> takes 2,000 at a time).</summary>
    private const int Rows = 4500;

    private static readonly string[] Columns = ["id", "email", "plan"];

    [Fact]
    public async Task A_diff_of_an_unsorted_source_finds_added_changed_and_deleted_records()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_diff_of_an_unsorted_source_finds_added_changed_and_deleted_records));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var source = new ShuffledSource(Rows);
        var request = new ReadRequest(Columns, null) { RecordStates = lease.RecordStates, Watched = ["plan"] };

        var first = await ReadAll(source, request);
        Assert.Equal(Rows, first.Count);
        Assert.All(first, c => Assert.Equal((ChangeKinds.Added, 16), (c.Kind, c.Fingerprint!.Length)));
        Assert.NotEqual(first.Select(c => c.Key).Order(RecordKeyOrder.Instance), first.Select(c => c.Key)); // shuffled indeed
        var checkpoint = await CommitAsync(lease, first);

        source.Set(12, "user12@example.com", "pro");
        source.Set(3001, "new3001@example.com", "free");
        source.Set(7, "user7@example.com", "free"); // written again, unchanged
        source.Remove(20);
        source.Remove(4444);
        source.Set(Rows + 1, "added@example.com", "free");
        var second = await ReadAll(source, request with { From = checkpoint });

        Assert.Equal([("12", ChangeKinds.Changed), ("20", ChangeKinds.Deleted), ("3001", ChangeKinds.Changed), ("4444", ChangeKinds.Deleted), ("4501", ChangeKinds.Added)],
            second.Select(c => (c.Key, c.Kind)).Order());
        var upgraded = Assert.Single(second, c => c.Key == "12");
        Assert.Equal(("free", "pro"), (upgraded.Previous!["plan"], upgraded.Watched!["plan"]));
        Assert.All(second.Where(c => c.Kind == ChangeKinds.Deleted), c => Assert.Equal((ChangeOperation.Delete, (object?)c.Key, null), (c.Operation, c.Values[0], c.Fingerprint)));

        // A dry run (sluice plan) diffs the same way, through the read-only view of the store.
        var planned = await ReadAll(source, request with { From = checkpoint, RecordStates = new PostgresSyncStateView(db).RecordStates("s") });
        Assert.Equal(second.Select(c => (c.Key, c.Kind)).Order(), planned.Select(c => (c.Key, c.Kind)).Order());

        await CommitAsync(lease, second);
        Assert.Empty(await ReadAll(source, request with { From = checkpoint }));
        Assert.Equal((long)Rows - 1, await ScalarAsync(db, "SELECT count(*) FROM sluice.record_state"));
    }

    [Fact]
    public async Task A_read_that_fails_midway_yields_no_deletes()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_read_that_fails_midway_yields_no_deletes));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var source = new ShuffledSource(Rows);
        var request = new ReadRequest(Columns, null) { RecordStates = lease.RecordStates };
        var checkpoint = await CommitAsync(lease, await ReadAll(source, request));

        source.Remove(5);
        source.Set(6, "changed@example.com", "free");
        source.FailAfter = Rows - 10;
        var seen = new List<Change>();
        var failure = await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (var change in ChangeDiffer.ReadAsync(source, request with { From = checkpoint }, default))
            {
                seen.Add(change);
            }
        });

        Assert.Equal("connection reset by the test", failure.Message);
        Assert.DoesNotContain(seen, c => c.Kind == ChangeKinds.Deleted);
        Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'sluice_seen_keys'")); // the session's staging went with it
    }

    [Fact]
    public async Task A_key_that_comes_back_in_another_chunk_stops_the_read_before_any_delete()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_key_that_comes_back_in_another_chunk_stops_the_read_before_any_delete));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var source = new ShuffledSource(Rows);
        var request = new ReadRequest(Columns, null) { RecordStates = lease.RecordStates };
        var checkpoint = await CommitAsync(lease, await ReadAll(source, request));

        source.Remove(9);
        source.Repeat = 17;
        var seen = new List<Change>();
        var error = await Assert.ThrowsAsync<SluiceException>(async () =>
        {
            await foreach (var change in ChangeDiffer.ReadAsync(source, request with { From = checkpoint }, default))
            {
                seen.Add(change);
            }
        });

        Assert.Contains("key '17' comes back more than once", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(seen, c => c.Kind == ChangeKinds.Deleted);
    }

    [Fact]
    public async Task Memory_holds_one_chunk_the_first_changes_are_handed_on_before_the_source_is_read_further()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Memory_holds_one_chunk_the_first_changes_are_handed_on_before_the_source_is_read_further));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var source = new ShuffledSource(Rows);
        var request = new ReadRequest(Columns, null) { RecordStates = lease.RecordStates };

        var readWhenFirstHandedOn = -1;
        await foreach (var change in ChangeDiffer.ReadAsync(source, request, default))
        {
            readWhenFirstHandedOn = readWhenFirstHandedOn < 0 ? source.Yielded : readWhenFirstHandedOn;
        }

        // A chunk (2,000) and the record that showed it was full: neither the source nor the keys seen are held whole.
        Assert.InRange(readWhenFirstHandedOn, 1, 2001);
    }

    private static async Task<Checkpoint> CommitAsync(ISyncLease lease, List<Change> changes)
    {
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        var checkpoint = changes[^1].Position.ToCheckpoint();
        await lease.CommitBatchAsync(new BatchCommit(run, 0, [], [], checkpoint, changes.Count)
        {
            RecordStates = changes.Select(c => new RecordState(c.Key, c.Fingerprint) { Values = c.Watched }).ToList(),
        }, default);
        return checkpoint;
    }

    private static async Task<List<Change>> ReadAll(ISource source, ReadRequest request)
    {
        var changes = new List<Change>();
        await foreach (var change in ChangeDiffer.ReadAsync(source, request, default))
        {
            changes.Add(change);
        }

        return changes;
    }
}
