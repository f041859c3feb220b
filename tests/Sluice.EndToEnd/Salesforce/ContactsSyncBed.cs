using System.Diagnostics;
using Sluice.Emulators.Salesforce;

namespace Sluice.EndToEnd.Salesforce;

/// <summary>
/// F3's shape run through the <c>sluice</c> binary against the emulator in this process: users found by email or
/// created as Contacts, each Id written back to <c>users.salesforce_id</c>, in small batches of two sObject
/// Collections, slowed by the connection's request rate so a test can act on the org while the sync runs. A trigger
/// records every write of the column, so "once" is counted, not assumed.
/// </summary>
internal static class ContactsSyncBed
{
    public const int Rows = 2_000;
    public const string Sync = "users_to_contacts";

    private static readonly string Schema = $"""
        CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, name text NOT NULL,
                            updated_at timestamptz NOT NULL, salesforce_id text);
        INSERT INTO users (id, email, name, updated_at)
        SELECT i, 'user' || i || '@example.com', 'User ' || i, now() - make_interval(secs => {Rows} - i)
        FROM generate_series(1, {Rows}) i;
        CREATE TABLE id_writes (user_id integer NOT NULL, salesforce_id text);
        CREATE FUNCTION count_id_write() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN INSERT INTO id_writes VALUES (NEW.id, NEW.salesforce_id); RETURN NEW; END $$;
        CREATE TRIGGER count_id_writes AFTER UPDATE OF salesforce_id ON users
          FOR EACH ROW EXECUTE FUNCTION count_id_write();
        """;

    public static Task<TestBed> CreateAsync(string name, SalesforceEmulator org) =>
        TestBed.CreateAsync(name, Schema, at => $"""
            {at.Connections(segment: false)}{SalesforceOrgs.Connection(org, "    rate_limit: {requests_per_second: 8}")}
            syncs:
              {Sync}:
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
                batch: {"{"}size: 400{"}"}

            """);

    /// <summary>sObject Collections creates or updates the emulator answered with success.</summary>
    public static int AcknowledgedCollections(SalesforceEmulator org) => org.Requests.Count(r =>
        r.Path.Contains("/composite/sobjects", StringComparison.Ordinal) && r.Method != "GET" && r.Status < 300);

    /// <summary>Users whose Contact Id has been written back: what committed runs and batches have delivered.</summary>
    public static async Task<long> WrittenBackAsync(TestBed bed) =>
        (long)(await bed.ScalarAsync("SELECT count(*) FROM users WHERE salesforce_id IS NOT NULL"))!;

    /// <summary>
    /// Runs <c>sluice sync</c>; once <paramref name="condition"/> holds, calls <paramref name="act"/> (once) and lets the
    /// run go on to its end. Returns whether it acted before the run ended, the exit code and everything printed.
    /// </summary>
    public static async Task<(bool Acted, int ExitCode, string Output)> RunActingAsync(TestBed bed, Func<Task<bool>> condition, Action act)
    {
        using var process = bed.StartSluice("sync", Sync, "-c", bed.ConfigPath);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var acted = false;
        var watch = Stopwatch.StartNew();
        while (!process.HasExited && watch.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (!acted && await condition())
            {
                act();
                acted = true;
            }

            await Task.Delay(5);
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"sluice sync did not end within 3 minutes:\n{await stdout}{await stderr}");
        }

        await process.WaitForExitAsync();
        return (acted, process.ExitCode, await stdout + await stderr);
    }

    /// <summary>
    /// Every user is one Contact (found by its email), its Id written back exactly once: nothing created twice, nothing
    /// lost, no Id written twice.
    /// </summary>
    public static async Task AssertEachUserOnceAsync(TestBed bed, SalesforceEmulator org)
    {
        var contacts = org.Org.Records("Contact");
        var byEmail = contacts.GroupBy(c => ((string)c.Get("Email")!).ToLowerInvariant()).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(Rows, contacts.Count);
        Assert.Equal(Rows, byEmail.Count);
        foreach (var (id, email, written) in await UsersAsync(bed))
        {
            var contact = Assert.Single(byEmail[email]);
            Assert.True(contact.Id == written, $"user {id}: written back {written ?? "nothing"}, the org has {contact.Id}");
        }

        Assert.Equal((long)Rows, await bed.ScalarAsync("SELECT count(*) FROM id_writes"));
        Assert.Equal((long)Rows, await bed.ScalarAsync("SELECT count(DISTINCT user_id) FROM id_writes"));
    }

    /// <summary>Each user: id, email and the Salesforce Id written back (null when none yet), in id order.</summary>
    public static async Task<List<(int Id, string Email, string? Written)>> UsersAsync(TestBed bed)
    {
        var users = new List<(int, string, string?)>();
        await using var command = bed.Db.CreateCommand("SELECT id, email, salesforce_id FROM users ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            users.Add((reader.GetInt32(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }

        return users;
    }
}
