using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Postgres.Cdc;

namespace Sluice.Postgres.Tests.Cdc;

/// <summary>The CDC source against a real cluster (wal_level=logical): what each kind of row change becomes.</summary>
public sealed class CdcSourceTests
{
    private const string Accounts = """
        CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL, status text, seats int, created timestamptz NOT NULL DEFAULT '2026-01-02 03:04:05.678+00');
        """;

    private const string Sentinel = "INSERT INTO accounts (id, email) VALUES (100000, 'sentinel')";

    [Fact]
    public async Task Inserts_updates_and_deletes_arrive_in_commit_order_with_their_kind()
    {
        await using var bed = await CdcTestBed.CreateAsync(nameof(Inserts_updates_and_deletes_arrive_in_commit_order_with_their_kind), Accounts);
        var source = bed.Source("kinds", "table: accounts\ncdc: {start: now}");
        await using (var probe = new StreamProbe(source, ["id", "email", "seats", "created"]))
        {
            await bed.EventuallyReadyAsync("sluice_kinds");
            // One call is one transaction (the driver sends a batch under one Sync).
            await bed.ExecuteAsync("INSERT INTO accounts (id, email, seats) VALUES (1, 'a@x', 3), (2, 'b@x', NULL)");
            await bed.ExecuteAsync("UPDATE accounts SET seats = 4 WHERE id = 1");
            await bed.ExecuteAsync("DELETE FROM accounts WHERE id = 2");
            var changes = await probe.TakeAsync(4);

            Assert.Equal([("1", ChangeKinds.Added), ("2", ChangeKinds.Added), ("1", ChangeKinds.Changed), ("2", ChangeKinds.Deleted)], changes.Select(c => (c.Key, c.Kind)));
            Assert.Equal([ChangeOperation.Upsert, ChangeOperation.Upsert, ChangeOperation.Upsert, ChangeOperation.Delete], changes.Select(c => c.Operation));
            // Values as a table source reads them: typed, not text.
            Assert.Equal(new object?[] { 1, "a@x", 3, new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc) }, changes[0].Values);
            Assert.Equal(DateTimeKind.Utc, ((DateTime)changes[0].Values[3]!).Kind);
            Assert.Equal(new object?[] { 1, "a@x", 4, new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc) }, changes[2].Values);
            // A delete with the default replica identity knows the key only.
            Assert.Equal(new object?[] { 2, null, null, null }, changes[3].Values);

            // Each change has a version of its own: the two rows of one transaction share a commit LSN, not an index.
            var versions = changes.Select(c => c.Version!).ToList();
            Assert.Equal(4, versions.Distinct().Count());
            Assert.Equal(3, versions.Select(v => v.Split(':')[0]).Distinct().Count());
            Assert.Equal(versions[0].Split(':')[0], versions[1].Split(':')[0]);
            Assert.Equal(["1", "2"], versions.Take(2).Select(v => v.Split(':')[1]));
            Assert.All(changes, c => Assert.Equal(c.Version, c.Position.ToCheckpoint().Value));
        }
    }

    [Fact]
    public async Task A_transition_carries_the_old_value_with_replica_identity_full()
    {
        await using var bed = await CdcTestBed.CreateAsync(nameof(A_transition_carries_the_old_value_with_replica_identity_full),
            Accounts + "ALTER TABLE accounts REPLICA IDENTITY FULL; INSERT INTO accounts (id, email, status) VALUES (1, 'a@x', 'trial'), (2, 'b@x', 'paid');");
        var source = bed.Source("transitions", "table: accounts\ncdc: {start: now}", "connection: out\ntransition: {column: status, from: trial, to: paid}");
        await source.CheckAsync(default);
        await using var probe = new StreamProbe(source, ["id", "email"], watched: ["status"]);
        await bed.EventuallyReadyAsync("sluice_transitions");
        foreach (var sql in new[] { "UPDATE accounts SET status = 'paid' WHERE id = 1", "UPDATE accounts SET email = 'a2@x' WHERE id = 1", "UPDATE accounts SET status = NULL WHERE id = 2", "DELETE FROM accounts WHERE id = 1" })
        {
            await bed.ExecuteAsync(sql);
        }

        var changes = await probe.TakeAsync(4);

        Assert.Equal(("trial", "paid"), (changes[0].Previous!["status"], changes[0].Watched!["status"]));
        Assert.Equal(("paid", "paid"), (changes[1].Previous!["status"], changes[1].Watched!["status"]));
        Assert.Equal(("paid", null), (changes[2].Previous!["status"], changes[2].Watched!["status"]));
        // A delete carries the last value, and with FULL identity the whole old row.
        Assert.Equal(("paid", ChangeKinds.Deleted), (changes[3].Previous!["status"], changes[3].Kind));
        Assert.Equal(new object?[] { 1, "a2@x" }, changes[3].Values);
    }

    [Fact]
    public async Task Watching_a_column_without_the_old_row_is_refused_with_the_sql_that_fixes_it()
    {
        await using var bed = await CdcTestBed.CreateAsync(nameof(Watching_a_column_without_the_old_row_is_refused_with_the_sql_that_fixes_it), Accounts);
        var source = bed.Source("identity", "table: accounts\ncdc: true", "connection: out\ntransition: {column: status}");

        var error = await Assert.ThrowsAsync<ConfigException>(() => source.CheckAsync(default));

        Assert.Contains("ALTER TABLE \"public\".\"accounts\" REPLICA IDENTITY FULL;", error.Fix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DEFAULT")]
    [InlineData("FULL")]
    public async Task A_toasted_column_is_correct_after_an_update_of_another_column(string identity)
    {
        await using var bed = await CdcTestBed.CreateAsync($"toast_{identity}", Accounts + $"""
            ALTER TABLE accounts ADD COLUMN notes text;
            ALTER TABLE accounts ALTER COLUMN notes SET STORAGE EXTERNAL;
            ALTER TABLE accounts REPLICA IDENTITY {identity};
            """);
        // 64 KB stored out of line, uncompressed (STORAGE EXTERNAL): an update of another column does not resend it.
        var notes = await bed.ScalarAsync<string>("SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 2000)");
        var source = bed.Source($"toast_{identity.ToLowerInvariant()}", "table: accounts\ncdc: {start: now}");
        await using var probe = new StreamProbe(source, ["id", "seats", "notes"]);
        await bed.EventuallyReadyAsync($"sluice_toast_{identity.ToLowerInvariant()}");
        await using (var insert = bed.Db.CreateCommand("INSERT INTO accounts (id, email, notes) VALUES (1, 'a@x', $1)"))
        {
            insert.Parameters.AddWithValue(notes);
            await insert.ExecuteNonQueryAsync();
        }

        Assert.True(await bed.ScalarAsync<bool>("SELECT pg_relation_size(reltoastrelid) > 0 FROM pg_class WHERE oid = 'accounts'::regclass"), "the value is stored out of line");
        await bed.ExecuteAsync("UPDATE accounts SET seats = 7 WHERE id = 1");
        var changes = await probe.TakeAsync(2);

        Assert.Equal(notes, changes[0].Values[2]);
        Assert.Equal(new object?[] { 1, 7, notes }, changes[1].Values);
    }

    [Fact]
    public async Task A_new_sync_copies_the_rows_then_streams_changes_made_during_the_copy_exactly_once()
    {
        await using var bed = await CdcTestBed.CreateAsync(nameof(A_new_sync_copies_the_rows_then_streams_changes_made_during_the_copy_exactly_once),
            Accounts + "INSERT INTO accounts (id, email, seats) SELECT i, 'u' || i || '@x', 1 FROM generate_series(1, 2000) i;");
        var source = bed.Source("snapshot", "table: accounts\ncdc: true");
        await using var probe = new StreamProbe(source, ["id", "seats"]);

        // The copy has begun (its first row is out) and is held back: these commit while it runs.
        var copied = new List<Change> { await probe.NextAsync() };
        await bed.ExecuteAsync("INSERT INTO accounts (id, email, seats) VALUES (2001, 'new@x', 1)");
        await bed.ExecuteAsync("UPDATE accounts SET seats = 2 WHERE id = 5");
        await bed.ExecuteAsync("UPDATE accounts SET seats = 2 WHERE id = 1999");
        await bed.ExecuteAsync("DELETE FROM accounts WHERE id = 6");
        await bed.ExecuteAsync(Sentinel);
        copied.AddRange(await probe.TakeAsync(1999));
        var streamed = await probe.TakeAsync(5);

        // The copy is the table as it was: every row once, old values, no row added later.
        Assert.Equal(Enumerable.Range(1, 2000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), copied.Select(c => c.Key).Order());
        Assert.All(copied, c => Assert.Equal((ChangeKinds.Added, 1, (string?)null), (c.Kind, c.Values[1], c.Version)));
        Assert.All(copied.SkipLast(1), c => Assert.Equal("snapshot", c.Position.ToCheckpoint().Value));
        Assert.EndsWith(":0", copied[^1].Position.ToCheckpoint().Value, StringComparison.Ordinal);

        // Then what changed meanwhile, once each, and nothing else until the sentinel.
        Assert.Equal([("2001", ChangeKinds.Added), ("5", ChangeKinds.Changed), ("1999", ChangeKinds.Changed), ("6", ChangeKinds.Deleted), ("100000", ChangeKinds.Added)],
            streamed.Select(c => (c.Key, c.Kind)));
    }

    [Fact]
    public async Task An_interrupted_copy_starts_again_from_a_new_slot()
    {
        await using var bed = await CdcTestBed.CreateAsync(nameof(An_interrupted_copy_starts_again_from_a_new_slot),
            Accounts + "INSERT INTO accounts (id, email) SELECT i, 'u' || i FROM generate_series(1, 3) i;");
        var source = bed.Source("recopy", "table: accounts\ncdc: true");
        Change first;
        await using (var probe = new StreamProbe(source, ["id"]))
        {
            first = await probe.NextAsync();
        }

        await bed.ExecuteAsync("INSERT INTO accounts (id, email) VALUES (4, 'late')");
        await using (var again = new StreamProbe(bed.Source("recopy", "table: accounts\ncdc: true"), ["id"], first.Position.ToCheckpoint()))
        {
            var copied = await again.TakeAsync(4);
            Assert.Equal(["1", "2", "3", "4"], copied.Select(c => c.Key).Order());
        }
    }

    [Fact]
    public async Task A_stored_position_whose_slot_is_gone_is_a_fatal_error_that_says_how_to_start_again()
    {
        await using var bed = await CdcTestBed.CreateAsync(nameof(A_stored_position_whose_slot_is_gone_is_a_fatal_error_that_says_how_to_start_again), Accounts);
        var source = bed.Source("gone", "table: accounts\ncdc: true");
        var request = new Sluice.Core.Connectors.ReadRequest(["id"], new Sluice.Core.Checkpoints.Checkpoint(CdcPosition.Format, 1, "0/16B3748:2"));

        var error = await Assert.ThrowsAsync<SluiceException>(async () =>
        {
            await foreach (var _ in source.ReadAsync(request, default))
            {
            }
        });

        Assert.Equal(ErrorClass.Fatal, error.Class);
        Assert.Contains("sluice sync --full", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_tables_stream_under_keys_that_name_their_table()
    {
        await using var bed = await CdcTestBed.CreateAsync(nameof(Several_tables_stream_under_keys_that_name_their_table),
            "CREATE TABLE users (id int PRIMARY KEY, email text); CREATE TABLE admins (id int PRIMARY KEY, email text, level int);");
        var source = bed.Source("several", "tables: [users, public.admins]\ncdc: {start: now}");
        var schema = await source.DiscoverAsync(default);
        Assert.Equal(["id", "email"], schema.Columns.Select(c => c.Name));

        await using var probe = new StreamProbe(source, ["id", "email"]);
        await bed.EventuallyReadyAsync("sluice_several");
        await bed.ExecuteAsync("INSERT INTO users VALUES (1, 'u@x')");
        await bed.ExecuteAsync("INSERT INTO admins VALUES (1, 'a@x', 9)");
        var changes = await probe.TakeAsync(2);

        Assert.Equal([("public.users:1", "u@x"), ("public.admins:1", "a@x")], changes.Select(c => (c.Key, (string)c.Values[1]!)));
    }
}
