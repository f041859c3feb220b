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

/// <summary>Watched columns (a transition's): stored with the fingerprint, handed back as <see cref="Change.Previous"/>.</summary>
public sealed class QuerySourceWatchedTests
{
    private const string Accounts = """
        CREATE TABLE accounts (org text, id bigint, status text, seats int NOT NULL, PRIMARY KEY (org, id));
        INSERT INTO accounts SELECT 'acme', i, CASE WHEN i % 2 = 0 THEN 'paid' ELSE 'trial' END, 1 FROM generate_series(1, 6) i;
        """;

    [Fact]
    public async Task Watched_values_move_with_the_fingerprint_and_come_back_as_the_previous_ones()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Watched_values_move_with_the_fingerprint_and_come_back_as_the_previous_ones));
        await ExecuteAsync(db, Accounts);
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var source = Source(db);
        var request = new ReadRequest(["id", "seats"], null) { RecordStates = lease.RecordStates, Watched = ["status"] };

        var first = await ReadAll(source, request);
        Assert.All(first, c => Assert.Null(c.Previous));
        Assert.Equal("trial", first[0].Watched!["status"]);
        var checkpoint = await CommitAsync(lease, first);
        Assert.Equal("""{"status": "trial"}""", await ScalarAsync(db, """SELECT watched_values::text FROM sluice.record_state WHERE record_key = '["acme","1"]'"""));

        await ExecuteAsync(db, "UPDATE accounts SET status = 'paid' WHERE id = 1; UPDATE accounts SET status = NULL WHERE id = 2; DELETE FROM accounts WHERE id = 3");
        var second = await ReadAll(source, request with { From = checkpoint });

        Assert.Equal([("trial", "paid"), ("paid", null)], second.Where(c => c.Kind == ChangeKinds.Changed).Select(c => (c.Previous!["status"], c.Watched!["status"])));
        Assert.All(second, c => Assert.NotNull(c.StoredAt));
        var deleted = Assert.Single(second, c => c.Kind == ChangeKinds.Deleted);
        // A deleted record has its key columns (as text) and its last stored values, nothing else.
        Assert.Equal(("trial", "3", null), (deleted.Previous!["status"], deleted.Values[0], deleted.Values[1]));
    }

    [Fact]
    public async Task A_record_stored_before_its_column_was_watched_is_handed_on_once_to_store_it()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_record_stored_before_its_column_was_watched_is_handed_on_once_to_store_it));
        await ExecuteAsync(db, Accounts);
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var source = Source(db);
        var unwatched = new ReadRequest(["id", "status"], null) { RecordStates = lease.RecordStates };
        var checkpoint = await CommitAsync(lease, await ReadAll(source, unwatched));

        var watched = unwatched with { From = checkpoint, Watched = ["status"] };
        var once = await ReadAll(source, watched);
        Assert.Equal(6, once.Count(c => c.Kind == ChangeKinds.Changed && c.Previous is null));
        await CommitAsync(lease, once);

        Assert.Empty(await ReadAll(source, watched));
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

    private static QuerySource Source(NpgsqlDataSource db)
    {
        var section = ConfigSection.Parse("syncs:\n  s:\n    source:\n      query: \"SELECT org, id, status, seats FROM accounts\"\n      key: [org, id]\n")
            .GetSection("syncs")!.GetSection("s")!.GetSection("source")!;
        return new QuerySource(db, new PostgresConnectionOptions { Name = "app", Database = "test" }, QuerySourceOptions.Bind(section));
    }

    private static async Task<List<Change>> ReadAll(QuerySource source, ReadRequest request)
    {
        var changes = new List<Change>();
        // The source reads rows; the engine's differ finds what changed.
        await foreach (var change in ChangeDiffer.ReadAsync(source, request, default))
        {
            // A table-shaped source's read ends with its position (the snapshot it read); these tests look at records.
            if (!change.IsProgress)
            {
                changes.Add(change);
            }
        }

        return changes;
    }
}
