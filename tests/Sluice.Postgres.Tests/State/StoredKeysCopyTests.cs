using System.Text;
using Sluice.Core.Checkpoints;
using Sluice.Core.State;
using Sluice.State;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.State;

/// <summary>
/// The stored keys a diff holds in memory, read by binary COPY as UTF-8 bytes (<see cref="IRecordStateReader.ReadKeysAsync"/>):
/// exactly the keys <see cref="IRecordStateReader.KeysAsync"/> streams — those with a fingerprint, of this sync only, an
/// escaped one as the key itself, one longer than the read buffer whole — and a read the visitor stops ends cleanly.
/// </summary>
public sealed class StoredKeysCopyTests
{
    [Fact]
    public async Task The_keys_read_by_copy_are_the_stored_keys_with_a_fingerprint_of_this_sync()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(The_keys_read_by_copy_are_the_stored_keys_with_a_fingerprint_of_this_sync));
        var store = await PostgresStateStore.OpenAsync(db);
        await using (await CommitAsync(store, "other", [new RecordState("1", [1]) { Status = RecordStatus.Sent, Origin = "other" }]))
        {
        }

        // Enough keys for many reads of the COPY stream, a key longer than its buffer (compressible: an index holds it), one stored escaped (U+0000), and
        // entries without a fingerprint (not diffed: left out).
        var states = Enumerable.Range(1, 30_000).Select(i => new RecordState(i.ToString(System.Globalization.CultureInfo.InvariantCulture), [1]) { Status = RecordStatus.Sent, Origin = "users" })
            .Append(new RecordState(new string('k', 100_000), [2]) { Status = RecordStatus.Sent, Origin = "users" })
            .Append(new RecordState("nul\0key", [3]) { Status = RecordStatus.Sent, Origin = "users" })
            .Append(new RecordState("no fingerprint", null) { Status = RecordStatus.Sent, Origin = "users" })
            .ToList();
        await using var lease = await CommitAsync(store, "users", states);

        var copied = new List<string>();
        Assert.True(await lease.RecordStates.ReadKeysAsync(key =>
        {
            copied.Add(Encoding.UTF8.GetString(key));
            return true;
        }, default));

        var streamed = new List<string>();
        await foreach (var key in lease.RecordStates.KeysAsync(default))
        {
            streamed.Add(key);
        }

        Assert.Equal(30_002, copied.Count);
        Assert.Contains("nul\0key", copied);
        Assert.Contains(new string('k', 100_000), copied);
        Assert.DoesNotContain("no fingerprint", copied);
        Assert.Equal(streamed.Order(StringComparer.Ordinal), copied.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_read_the_visitor_stops_returns_false_and_leaves_the_store_usable()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_read_the_visitor_stops_returns_false_and_leaves_the_store_usable));
        var store = await PostgresStateStore.OpenAsync(db);
        var states = Enumerable.Range(1, 20_000).Select(i => new RecordState($"key {i}", [1]) { Status = RecordStatus.Sent, Origin = "users" }).ToList();
        await using var lease = await CommitAsync(store, "users", states);

        var seen = 0;
        Assert.False(await lease.RecordStates.ReadKeysAsync(_ => ++seen < 10, default));
        Assert.Equal(10, seen);

        for (var again = 0; again < 3; again++)
        {
            var all = 0;
            Assert.True(await lease.RecordStates.ReadKeysAsync(_ => ++all > 0, default));
            Assert.Equal(20_000, all);
        }
    }

    private static async Task<ISyncLease> CommitAsync(PostgresStateStore store, string sync, IReadOnlyList<RecordState> states)
    {
        var lease = (await store.TryAcquireAsync(sync, default))!;
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        await lease.CommitBatchAsync(new BatchCommit(run, 0, [], [], new Checkpoint("t", 1, "1"), states.Count) { RecordStates = states }, default);
        return lease;
    }
}
