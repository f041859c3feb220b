using System.Diagnostics;
using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.EndToEnd.Salesforce;

/// <summary>
/// Nothing created twice, every id written back once: a sync to the Salesforce emulator (in this process, so it
/// survives) is killed with SIGKILL mid-run — during a Bulk ingest job, and between acknowledged collections with
/// write-back — then allowed to finish.
/// </summary>
public sealed class SalesforceCrashTests
{
    private const int Rows = 3_000;

    private static readonly string UsersTable = $"""
        CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, name text NOT NULL,
                            updated_at timestamptz NOT NULL, salesforce_id text);
        INSERT INTO users (id, email, name, updated_at)
        SELECT i, 'user' || i || '@example.com', 'User ' || i, now() - make_interval(secs => {Rows} - i)
        FROM generate_series(1, {Rows}) i;
        """;

    [Fact]
    public async Task A_bulk_upsert_killed_during_its_ingest_job_resumes_with_each_external_id_once()
    {
        // External_Id__c is an external id but not unique here: with a unique field the org itself would refuse a
        // second record (DUPLICATE_VALUE), and a rerun that created the records again instead of finding them by
        // external id would pass unseen. Here it leaves two Accounts with one external id, and the test fails.
        await using var org = await StartWithNonUniqueExternalIdAsync();
        await using var bed = await TestBed.CreateAsync(nameof(A_bulk_upsert_killed_during_its_ingest_job_resumes_with_each_external_id_once),
            UsersTable,
            at => $"""
                {at.Connections(segment: false)}{SalesforceOrgs.Connection(org)}
                syncs:
                  users_to_accounts:
                    source: {"{"}connection: app, table: public.users, cursor: updated_at{"}"}
                    destination: {"{"}connection: crm, object: Account, operation: upsert, external_id: External_Id__c, bulk_threshold: 100{"}"}
                    mapping:
                      External_Id__c: email
                      Name: name

                """);

        // Killed once the job is closed (UploadComplete): Salesforce goes on to create the records while Sluice is dead
        // and never saw the job's results, so the rerun must find them by external id instead of creating them again.
        var killed = await RunUntilKilledAsync(bed, "users_to_accounts", () => org.Requests.Any(r =>
            r.Method == "PATCH" && r.Path.Contains("/jobs/ingest/", StringComparison.Ordinal) && r.Status < 300));
        Assert.True(killed, "the sync finished before its ingest job was closed; the test proves nothing");

        var (exit, output) = await bed.RunSluiceAsync("sync", "users_to_accounts", "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);

        var accounts = org.Org.Records("Account");
        var byExternalId = accounts.GroupBy(a => (string)a.Get("External_Id__c")!).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(Rows, accounts.Count);          // nothing doubled
        Assert.Equal(Rows, byExternalId.Count);      // nothing lost
        for (var i = 1; i <= Rows; i++)
        {
            var account = Assert.Single(byExternalId[$"user{i}@example.com"]);
            Assert.Equal($"User {i}", account.Get("Name"));
        }
    }

    [Fact]
    public async Task A_write_back_sync_killed_between_collections_writes_each_id_back_exactly_once()
    {
        await using var org = await SalesforceOrgs.StartAsync();
        await using var bed = await TestBed.CreateAsync(nameof(A_write_back_sync_killed_between_collections_writes_each_id_back_exactly_once),
            UsersTable + """
                CREATE TABLE id_writes (user_id integer NOT NULL, salesforce_id text);
                CREATE FUNCTION count_id_write() RETURNS trigger LANGUAGE plpgsql AS
                  $$ BEGIN INSERT INTO id_writes VALUES (NEW.id, NEW.salesforce_id); RETURN NEW; END $$;
                CREATE TRIGGER count_id_writes AFTER UPDATE OF salesforce_id ON users
                  FOR EACH ROW EXECUTE FUNCTION count_id_write();
                """,
            at => $"""
                {at.Connections(segment: false)}{SalesforceOrgs.Connection(org)}
                syncs:
                  users_to_contacts:
                    source: {"{"}connection: app, table: public.users, cursor: updated_at{"}"}
                    destination:
                      connection: crm
                      object: Contact
                      operation: upsert
                      match: {"{"}Email: email{"}"}
                      bulk_threshold: 1000000
                    mapping:
                      Email: email
                      LastName: name
                    write_back: {"{"}column: salesforce_id{"}"}

                """);

        var kills = 0;
        foreach (var collections in new[] { 1, 5, 10 })
        {
            if (await RunUntilKilledAsync(bed, "users_to_contacts", () => AcknowledgedCollections(org) >= collections))
            {
                kills++;
            }
        }

        Assert.True(kills >= 2, $"the sync finished before it could be killed ({kills} kills); the test proves nothing");

        var (exit, output) = await bed.RunSluiceAsync("sync", "users_to_contacts", "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);

        var contacts = org.Org.Records("Contact");
        var byEmail = contacts.GroupBy(c => ((string)c.Get("Email")!).ToLowerInvariant()).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(Rows, contacts.Count);      // no Contact created twice
        Assert.Equal(Rows, byEmail.Count);
        var unwritten = 0;
        var wrong = new List<string>();
        await using (var command = bed.Db.CreateCommand("SELECT id, email, salesforce_id FROM users ORDER BY id"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                if (reader.IsDBNull(2))
                {
                    unwritten++;
                    continue;
                }

                var contact = Assert.Single(byEmail[reader.GetString(1)]);
                if (contact.Id != reader.GetString(2))
                {
                    wrong.Add($"{reader.GetInt32(0)}: {reader.GetString(2)} but the emulator has {contact.Id}");
                }
            }
        }

        Assert.Equal(0, unwritten);
        Assert.Empty(wrong);
        // The trigger saw each row's column written exactly once, across the killed runs and the last one.
        Assert.Equal((long)Rows, await bed.ScalarAsync("SELECT count(*) FROM id_writes"));
        Assert.Equal((long)Rows, await bed.ScalarAsync("SELECT count(DISTINCT user_id) FROM id_writes"));
    }

    private static Task<SalesforceEmulator> StartWithNonUniqueExternalIdAsync()
    {
        var org = OrgDefinition.Default();
        org.Objects["Account"] = new ObjectDefinition
        {
            Fields = new() { ["External_Id__c"] = new FieldDefinition { Type = "string", Length = 255, ExternalId = true, Unique = false } },
        };
        return SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions { Port = 0, Org = org });
    }

    /// <summary>sObject Collections requests (create or update) the emulator answered with success.</summary>
    private static int AcknowledgedCollections(SalesforceEmulator org) => org.Requests.Count(r =>
        r.Path.Contains("/composite/sobjects", StringComparison.Ordinal) && r.Method != "GET" && r.Status < 300);

    /// <summary>Runs the sync until <paramref name="condition"/> holds, then SIGKILLs it; false when it finished first.</summary>
    private static async Task<bool> RunUntilKilledAsync(TestBed bed, string sync, Func<bool> condition)
    {
        using var process = bed.StartSluice("sync", sync, "-c", bed.ConfigPath);
        var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        var watch = Stopwatch.StartNew();
        while (!process.HasExited && !condition() && watch.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(5);
        }

        var killed = false;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true); // SIGKILL: no cleanup, no finally blocks
            killed = true;
        }

        await process.WaitForExitAsync();
        await drain;
        return killed;
    }
}
