using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Npgsql;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Salesforce.Tests.UseCases;

/// <summary>
/// The two-way edit storm: for 30 s, people edit users in PostgreSQL and their Contacts in Salesforce at random (seeded)
/// while the pair runs round after round. Afterwards both sides hold the same values, no write of Sluice's was an echo
/// (each one carried a change the other side's people made), and every conflict was resolved by the configured rule and
/// recorded.
/// </summary>
public sealed class TwoWayEditStormTests
{
    private const int UserCount = 8;
    private static readonly TimeSpan Storm = TimeSpan.FromSeconds(30);

    // Pair field (Salesforce) → users column.
    private static readonly (string Field, string Column)[] Fields = [("Email", "email"), ("FirstName", "first_name"), ("LastName", "last_name"), ("Phone", "phone")];

    private const string Schema = """
        CREATE TABLE users (
          id bigint PRIMARY KEY, email text NOT NULL, first_name text, last_name text NOT NULL, phone text,
          salesforce_contact_id text UNIQUE, updated_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO users (id, email, first_name, last_name, phone)
          SELECT i, 'user' || i || '@example.com', 'First' || i, 'Last' || i, '555-000' || i FROM generate_series(1, 8) AS i;
        -- Every update of a user with the session that made it: the storm's editors say application_name = storm.
        CREATE TABLE user_writes (id bigint, before jsonb, after jsonb, by text);
        CREATE FUNCTION log_user_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO user_writes VALUES (NEW.id, to_jsonb(OLD), to_jsonb(NEW), current_setting('application_name')); RETURN NEW; END $$;
        CREATE TRIGGER users_log AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION log_user_write();
        """;

    [Fact]
    public async Task Thirty_seconds_of_random_edits_on_both_sides_end_equal_with_no_echo_writes_and_every_conflict_resolved_by_the_rule()
    {
        await using var bed = await TwoWayContactsUseCaseTests.LinkedAsync(Schema.Replace("generate_series(1, 8)", $"generate_series(1, {UserCount})", StringComparison.Ordinal), UserCount);
        var contactOf = (await bed.ColumnAsync<string>("SELECT id || '=' || salesforce_contact_id FROM users ORDER BY id"))
            .Select(p => p.Split('=')).ToDictionary(p => long.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), p => p[1]);
        var userOf = contactOf.ToDictionary(p => p.Value, p => p.Key);

        // What each side's people wrote, per record and field: a value Sluice writes must come from the other side's set.
        var setInPostgres = new ConcurrentDictionary<(long, string), byte>();
        var setInSalesforce = new ConcurrentDictionary<(long, string), byte>();
        var sluiceSaves = new ConcurrentQueue<OrgSavedRecord>();
        bed.Emulator.Org.Saved += save =>
        {
            if (save.Origin.EndsWith(";client=sluice", StringComparison.Ordinal))
            {
                foreach (var record in save.Records.Where(r => r.After.Id.StartsWith("003", StringComparison.Ordinal)))
                {
                    sluiceSaves.Enqueue(record);
                }
            }
        };

        var pgEdits = 0;
        var sfEdits = 0;
        using var stop = new CancellationTokenSource(Storm);
        var editorConnection = new NpgsqlConnectionStringBuilder(bed.App.ConnectionString) { ApplicationName = "storm" }.ConnectionString;
        await using var editors = NpgsqlDataSource.Create(editorConnection);

        async Task EditPostgresAsync()
        {
            var random = new Random(1301);
            while (!stop.IsCancellationRequested)
            {
                var user = random.NextInt64(1, UserCount + 1);
                var (field, column) = Fields[random.Next(Fields.Length)];
                var value = ValueFor(field, "pg", Interlocked.Increment(ref pgEdits), user);
                setInPostgres[(user, value)] = 0;
                await using (var command = editors.CreateCommand($"UPDATE users SET {column} = $1, updated_at = clock_timestamp() WHERE id = $2"))
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = value });
                    command.Parameters.Add(new NpgsqlParameter { Value = user });
                    await command.ExecuteNonQueryAsync(CancellationToken.None);
                }

                // Pacing of the load (a person's edits are spread out), not a wait for a condition.
                await Pause(random, stop.Token);
            }
        }

        async Task EditSalesforceAsync()
        {
            var random = new Random(1302);
            while (!stop.IsCancellationRequested)
            {
                var user = random.NextInt64(1, UserCount + 1);
                var (field, _) = Fields[random.Next(Fields.Length)];
                var value = ValueFor(field, "sf", Interlocked.Increment(ref sfEdits), user);
                setInSalesforce[(user, value)] = 0;
                var result = bed.Emulator.Org.Save([new SaveRequest
                {
                    Operation = SaveOperation.Update,
                    Id = contactOf[user],
                    Fields = [new KeyValuePair<string, JsonNode?>(field, JsonValue.Create(value))],
                }]).Single();
                Assert.True(result.Success, string.Join("; ", result.Errors.Select(e => e.Message)));
                await Pause(random, stop.Token);
            }
        }

        var rounds = 0;
        async Task RunPairAsync()
        {
            // The pair on the shortest schedule: one direction right after the other, as `after:` chains them.
            while (!stop.IsCancellationRequested)
            {
                await bed.RunAsync("users_to_contacts");
                await bed.RunAsync("contacts_to_users");
                rounds++;
            }
        }

        await Task.WhenAll(Task.Run(EditPostgresAsync), Task.Run(EditSalesforceAsync), Task.Run(RunPairAsync));
        Assert.True(pgEdits > 100 && sfEdits > 100 && rounds > 5, $"a storm: {pgEdits} PostgreSQL edits, {sfEdits} Salesforce edits, {rounds} rounds");

        // Quiescence: at most a round to carry the last edits, then a round that writes nothing on either side.
        Assert.True(await TwoWayContactsUseCaseTests.Quiet(bed) <= 3);

        // Both sides hold the same values.
        foreach (var (user, contact) in contactOf)
        {
            var record = bed.Emulator.Org.Find(contact)!;
            foreach (var (field, column) in Fields)
            {
                var row = await bed.ColumnAsync<string?>($"SELECT {column} FROM users WHERE id = {user}");
                Assert.Equal(row[0], (string?)record.Get(field));
            }
        }

        // No echo writes into Salesforce: each Sluice save changed a field to a value people set in PostgreSQL.
        Assert.NotEmpty(sluiceSaves);
        foreach (var save in sluiceSaves)
        {
            var user = userOf[save.After.Id];
            Assert.Contains(Fields, f => !Equals(save.Before?.Get(f.Field), save.After.Get(f.Field)) && setInPostgres.ContainsKey((user, (string)save.After.Get(f.Field)!)));
        }

        // … and none into PostgreSQL: each write by Sluice's session changed a column to a value people set in Salesforce.
        var sluiceRows = await bed.ColumnAsync<string>("""
            SELECT id || E'\t' || before::text || E'\t' || after::text FROM user_writes
            WHERE by <> 'storm' AND (before->>'email', before->>'first_name', before->>'last_name', before->>'phone')
                        IS DISTINCT FROM (after->>'email', after->>'first_name', after->>'last_name', after->>'phone')
            """);
        Assert.NotEmpty(sluiceRows);
        foreach (var line in sluiceRows)
        {
            var parts = line.Split('\t');
            var user = long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            var before = JsonNode.Parse(parts[1])!;
            var after = JsonNode.Parse(parts[2])!;
            Assert.Contains(Fields, f => (string?)before[f.Column] != (string?)after[f.Column] && setInSalesforce.ContainsKey((user, (string)after[f.Column]!)));
        }

        // Every conflict was resolved by the configured rule, and recorded with both values.
        var history = await bed.Workspace.HistoryAsync(CancellationToken.None);
        var conflicts = new List<Sluice.State.StoredConflict>();
        foreach (var contact in contactOf.Values)
        {
            conflicts.AddRange(await history.LoadConflictsAsync("contacts_to_users", contact, CancellationToken.None));
        }

        Assert.NotEmpty(conflicts);
        foreach (var conflict in conflicts)
        {
            Assert.NotEqual(conflict.ValueOf("postgres"), conflict.ValueOf("salesforce"));
            if (conflict.Field == "Email")
            {
                Assert.Equal(("owner", "postgres"), (conflict.Rule, conflict.Winner));
                continue;
            }

            Assert.Equal("last_modified_wins", conflict.Rule);
            var source = conflict.ModifiedOf(conflict.SourceSide);
            var destination = conflict.ModifiedOf(conflict.DestinationSide);
            Assert.Equal(source is { } s && (destination is not { } d || s > d) ? conflict.SourceSide : conflict.DestinationSide, conflict.Winner);
        }
    }

    private static string ValueFor(string field, string side, int n, long user) =>
        field == "Email" ? $"u{user}-{side}{n}@example.com" : $"{field}-{side}{n}";

    private static async Task Pause(Random random, CancellationToken ct)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(20, 80)), ct);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
