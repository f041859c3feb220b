using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.State;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.State;

/// <summary>
/// How the ledgers are stored for cheap large commits (migration 26): the record ledger lives exactly as long as its
/// sync without a per-row foreign key (deleting the sync deletes its entries; a commit for a sync deleted meanwhile
/// stores none), and a batch's send-ledger row is stored without compressing its barely compressible arrays.
/// </summary>
public sealed class LedgerStorageTests
{
    [Fact]
    public async Task Forgetting_a_sync_deletes_its_record_ledger_and_keeps_the_other_syncs()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Forgetting_a_sync_deletes_its_record_ledger_and_keeps_the_other_syncs));
        var store = await PostgresStateStore.OpenAsync(db);
        await CommitAsync(store, "gone", "a", "b");
        await CommitAsync(store, "kept", "c");

        await ForgottenSyncs.ForgetAsync(db, "sluice", "gone", default);

        Assert.Equal("c", await ScalarAsync(db, "SELECT string_agg(record_key, ',' ORDER BY record_key) FROM sluice.record_state"));
        Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM sluice.record_state r WHERE NOT EXISTS (SELECT 1 FROM sluice.syncs s WHERE s.id = r.sync_id)"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_commit_for_a_sync_deleted_meanwhile_fails_and_stores_no_ledger_entry(bool committedBefore)
    {
        await using var db = await TestPostgres.CreateDataSourceAsync($"{nameof(A_commit_for_a_sync_deleted_meanwhile_fails_and_stores_no_ledger_entry)}_{committedBefore}");
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("users", default))!;
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        if (committedBefore)
        {
            await lease.CommitBatchAsync(Batch(run, 0, "a"), default);
        }

        // An operator (or a process with an older config) deletes the sync while this run still holds it.
        await ScalarAsync(db, "DELETE FROM sluice.syncs WHERE name = 'users'");

        await Assert.ThrowsAnyAsync<Exception>(() => lease.CommitBatchAsync(Batch(run, 1, "b", "c"), default));
        Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM sluice.record_state WHERE record_key IN ('b', 'c')"));
    }

    [Fact]
    public async Task A_large_batch_stores_its_send_ledger_arrays_out_of_line_uncompressed_and_reads_them_back()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_large_batch_stores_its_send_ledger_arrays_out_of_line_uncompressed_and_reads_them_back));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("users", default))!;
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        var sent = Enumerable.Range(0, 20_000).Select(i => new LedgerEntry($"acc-{i:D7}", $"sluice-{i * 7919:x32}", ChangeOperation.Upsert)).ToList();

        await lease.CommitBatchAsync(new BatchCommit(run, 0, sent, [], new Checkpoint("t", 1, "1"), sent.Count), default);

        // pglz spends its time on hashes only to store them as they were: the arrays are written as they are.
        Assert.Equal("record_keys e, message_ids e", await ScalarAsync(db,
            "SELECT string_agg(attname || ' ' || attstorage::text, ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'sluice.send_ledger'::regclass AND attname IN ('record_keys', 'message_ids')"));
        Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM sluice.send_ledger WHERE pg_column_compression(record_keys) IS NOT NULL OR pg_column_compression(message_ids) IS NOT NULL"));
        Assert.Equal("20000 acc-0019999 sluice-" + (19_999 * 7919).ToString("x32", System.Globalization.CultureInfo.InvariantCulture), await ScalarAsync(db,
            "SELECT cardinality(record_keys) || ' ' || record_keys[20000] || ' ' || message_ids[20000] FROM sluice.send_ledger"));
    }

    private static async Task CommitAsync(PostgresStateStore store, string sync, params string[] keys)
    {
        await using var lease = (await store.TryAcquireAsync(sync, default))!;
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        await lease.CommitBatchAsync(Batch(run, 0, keys), default);
    }

    private static BatchCommit Batch(long run, long sequence, params string[] keys) =>
        new(run, sequence, [], [], new Checkpoint("t", 1, sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)), keys.Length)
        {
            RecordStates = [.. keys.Select(k => new RecordState(k, null) { Status = RecordStatus.Sent, DestinationId = "D-" + k, Origin = "users" })],
        };

    private static async Task<object?> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }
}
