using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Org;
using Sluice.State;

namespace Sluice.Salesforce.Tests.UseCases;

/// <summary>
/// The two-way worked example of docs/salesforce.md (users ↔ Contacts, <c>two-way-contacts.yaml</c>) run as written on
/// PostgreSQL against the emulator: changes flow both ways, neither side's echo of Sluice's own write comes back, and
/// conflicts are resolved by the configured rule and recorded.
/// </summary>
public sealed class TwoWayContactsUseCaseTests
{
    internal const string Users = """
        CREATE TABLE users (
          id bigint PRIMARY KEY, email text NOT NULL, first_name text, last_name text NOT NULL, phone text,
          salesforce_contact_id text UNIQUE, updated_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO users (id, email, first_name, last_name, phone) VALUES
          (1, 'ann@example.com', 'Ann', 'Lee', '555-0101'), (2, 'bob@example.com', 'Bob', 'Ray', NULL);
        """;

    /// <summary>An <c>updated_at</c> the database moves on every update, Sluice's included (as many apps do).</summary>
    private const string UpdatedAtTrigger = """
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $$;
        CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
        """;

    [Fact]
    public void The_doc_shows_the_two_way_example_verbatim()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "salesforce.md"));
        Assert.Contains("```yaml\n" + UseCaseBed.Text("two-way-contacts.yaml") + "```", doc, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changes_flow_both_ways_and_sluices_own_writes_never_come_back_from_salesforce()
    {
        await using var bed = await LinkedAsync(Users);
        var contact = Contact(bed, "ann@example.com");

        // A person edits Ann's first name in Salesforce: it lands in PostgreSQL, and nothing goes back to Salesforce.
        Update(bed, contact.Id, ("FirstName", "Anna"));
        var writes = SluiceWrites(bed);
        Assert.Equal(0, (await bed.RunAsync("users_to_contacts")).Acknowledged);
        var back = await bed.RunAsync("contacts_to_users");
        Assert.Equal(1, back.Acknowledged);
        Assert.Equal(["Anna"], await bed.ColumnAsync<string>("SELECT first_name FROM users WHERE id = 1"));
        Assert.Equal(0, (await bed.RunAsync("users_to_contacts")).Acknowledged);
        Assert.Equal(writes, SluiceWrites(bed));

        // The app changes Bob's phone: it goes to Salesforce once; the poll that reads Sluice's own write skips it as an echo.
        await bed.ExecuteAsync("UPDATE users SET phone = '555-0202', updated_at = now() WHERE id = 2");
        Assert.Equal(1, (await bed.RunAsync("users_to_contacts")).Acknowledged);
        Assert.Equal("555-0202", Contact(bed, "bob@example.com").Get("Phone"));
        var echo = await bed.RunAsync("contacts_to_users");
        Assert.Equal(0, echo.Acknowledged);
        Assert.Equal(1, echo.Skipped);
        var history = await bed.Workspace.HistoryAsync(CancellationToken.None);
        var state = await history.LoadStateAsync("contacts_to_users", Contact(bed, "bob@example.com").Id, CancellationToken.None);
        Assert.Equal("left_out", state!.Status);
        Assert.Contains("echo", state.SkipReason, StringComparison.Ordinal);
        Assert.Equal(writes + 1, SluiceWrites(bed));
    }

    [Fact]
    public async Task Sluices_own_writes_into_postgres_are_recognised_and_not_sent_back_to_salesforce()
    {
        await using var bed = await LinkedAsync(Users + UpdatedAtTrigger);
        var writes = SluiceWrites(bed);

        // The write-back of the Contact ids moved both rows' updated_at: read again, both are what Sluice wrote — skipped.
        var settle = await bed.RunAsync("users_to_contacts");
        Assert.Equal((0, 2), (settle.Acknowledged, settle.Skipped));

        // Salesforce's change is written into users; the trigger moves updated_at, so the cursor reads the row again —
        // as what Sluice itself wrote, which is skipped, not pushed back to Salesforce.
        Update(bed, Contact(bed, "bob@example.com").Id, ("LastName", "Ray-Smith"));
        Assert.Equal(1, (await bed.RunAsync("contacts_to_users")).Acknowledged);
        var push = await bed.RunAsync("users_to_contacts");
        Assert.Equal(0, push.Acknowledged);
        Assert.Equal(1, push.Skipped);
        Assert.Equal(writes, SluiceWrites(bed));
        var history = await bed.Workspace.HistoryAsync(CancellationToken.None);
        Assert.Contains("echo", (await history.LoadStateAsync("users_to_contacts", "2", CancellationToken.None))!.SkipReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Through_cdc_sluices_own_writes_into_postgres_carry_its_replication_origin_and_are_not_sent_back()
    {
        // The example with users followed by change data capture instead of the updated_at cursor.
        const string Cursor = "source: {connection: app, table: public.users, cursor: updated_at}";
        await using var bed = await UseCaseBed.StartAsync("two-way-contacts.yaml", Users + UpdatedAtTrigger, text =>
        {
            Assert.Contains(Cursor, text, StringComparison.Ordinal);
            // A stream never ends, so nothing runs 'after' it: the test runs the directions in turn itself.
            var streaming = text.Replace(Cursor, "source: {connection: app, table: public.users, cdc: true}", StringComparison.Ordinal);
            return System.Text.RegularExpressions.Regex.Replace(streaming, @"^ *after: \[users_to_contacts\].*\n", "", System.Text.RegularExpressions.RegexOptions.Multiline);
        });
        var history = await bed.Workspace.HistoryAsync(CancellationToken.None);
        async Task<string?> SkipReasonAsync(string key) => (await history.LoadStateAsync("users_to_contacts", key, CancellationToken.None))?.SkipReason;

        // The stream is stopped only once the slot has confirmed everything written so far: every change read, sent and committed.
        async Task<Func<Task<bool>>> CaughtUpAsync()
        {
            var written = (await bed.ColumnAsync<string>("SELECT pg_current_wal_lsn()::text"))[0];
            return async () => (await bed.ColumnAsync<bool>($"SELECT coalesce(bool_and(confirmed_flush_lsn >= '{written}'), false) FROM pg_replication_slots WHERE slot_name LIKE 'sluice%'"))[0];
        }

        await bed.RunUntilAsync("users_to_contacts", async () =>
            bed.Emulator.Org.Records("Contact").Count == 2 && (await bed.ColumnAsync<long>("SELECT count(*) FROM users WHERE salesforce_contact_id IS NOT NULL"))[0] == 2,
            "both users pushed and linked");
        await bed.RunUntilAsync("users_to_contacts", await CaughtUpAsync(), "the write-back read back through the slot");
        Assert.Equal(0, (await bed.RunAsync("contacts_to_users")).Acknowledged); // the initial load reads back what Sluice wrote
        var writes = SluiceWrites(bed);

        // Salesforce's change is written into users in a transaction marked with contacts_to_users' replication origin;
        // the slot hands the origin on with the change, which is skipped as Sluice's own write.
        Update(bed, Contact(bed, "bob@example.com").Id, ("LastName", "Ray-Smith"));
        Assert.Equal(1, (await bed.RunAsync("contacts_to_users")).Acknowledged);
        Assert.Equal(["sluice_contacts_to_users", "sluice_users_to_contacts"], await bed.ColumnAsync<string>("SELECT roname FROM pg_replication_origin ORDER BY roname"));
        await bed.RunUntilAsync("users_to_contacts", await CaughtUpAsync(), "Bob's change read back through the slot");
        Assert.Equal(writes, SluiceWrites(bed));
        Assert.Contains("echo", await SkipReasonAsync("2"), StringComparison.Ordinal);
        Assert.Contains("(written by Sluice: sluice_contacts_to_users)", await SkipReasonAsync("2"), StringComparison.Ordinal);

        // A person's edit in PostgreSQL carries no origin: it goes to Salesforce, once.
        await bed.ExecuteAsync("UPDATE users SET phone = '555-0303' WHERE id = 2");
        await bed.RunUntilAsync("users_to_contacts", () => Task.FromResult((string?)Contact(bed, "bob@example.com").Get("Phone") == "555-0303"), "the app's change pushed");
        Assert.Equal(writes + 1, SluiceWrites(bed));
    }

    [Fact]
    public async Task A_field_changed_on_both_sides_goes_to_the_side_modified_last_and_the_conflict_is_recorded()
    {
        await using var bed = await LinkedAsync(Users);
        var ann = Contact(bed, "ann@example.com").Id;

        // PostgreSQL first, Salesforce later: Salesforce's value wins, whichever sync runs first.
        var edited = new DateTimeOffset((await bed.ColumnAsync<DateTime>("UPDATE users SET last_name = 'Lee-PG', updated_at = clock_timestamp() WHERE id = 1 RETURNING updated_at"))[0]);
        // Salesforce stamps whole milliseconds: its edit must fall in a later millisecond to be later, not merely after.
        Assert.True(SpinWait.SpinUntil(() => bed.Emulator.Org.Now() > edited.AddMilliseconds(1), TimeSpan.FromSeconds(30)));
        Update(bed, ann, ("LastName", "Lee-SF"));
        await bed.RunAsync("users_to_contacts");
        await bed.RunAsync("contacts_to_users");
        Assert.Equal("Lee-SF", bed.Emulator.Org.Find(ann)!.Get("LastName"));
        Assert.Equal(["Lee-SF"], await bed.ColumnAsync<string>("SELECT last_name FROM users WHERE id = 1"));

        // Salesforce first, PostgreSQL later: PostgreSQL's value wins.
        Update(bed, ann, ("FirstName", "Annie"));
        await bed.ExecuteAsync("UPDATE users SET first_name = 'Ann-PG', updated_at = clock_timestamp() WHERE id = 1");
        await bed.RunAsync("contacts_to_users");
        await bed.RunAsync("users_to_contacts");
        await Quiet(bed);
        Assert.Equal("Ann-PG", bed.Emulator.Org.Find(ann)!.Get("FirstName"));
        Assert.Equal(["Ann-PG"], await bed.ColumnAsync<string>("SELECT first_name FROM users WHERE id = 1"));

        var conflicts = await (await bed.Workspace.HistoryAsync(CancellationToken.None)).LoadConflictsAsync("users_to_contacts", "1", CancellationToken.None);
        Assert.Equal(["LastName", "FirstName"], conflicts.Select(c => c.Field));
        Assert.All(conflicts, c => Assert.Equal("last_modified_wins", c.Rule));
        Assert.Equal(("Lee-PG", "Lee-SF", "salesforce"), (conflicts[0].ValueOf("postgres"), conflicts[0].ValueOf("salesforce"), conflicts[0].Winner));
        Assert.Equal(("Ann-PG", "Annie", "postgres"), (conflicts[1].ValueOf("postgres"), conflicts[1].ValueOf("salesforce"), conflicts[1].Winner));
        Assert.All(conflicts, c => Assert.True(c.ModifiedOf(c.Winner) > c.ModifiedOf(c.Winner == "postgres" ? "salesforce" : "postgres")));
    }

    [Fact]
    public async Task A_field_with_an_owner_goes_to_its_owner_even_when_the_other_side_changed_it_last()
    {
        await using var bed = await LinkedAsync(Users);
        var ann = Contact(bed, "ann@example.com").Id;

        // Email is owned by postgres: Salesforce's later edit loses, whichever sync runs first.
        await bed.ExecuteAsync("UPDATE users SET email = 'ann@new.example.com', updated_at = clock_timestamp() WHERE id = 1");
        Update(bed, ann, ("Email", "ann@crm.example.com"));
        await bed.RunAsync("contacts_to_users");
        await bed.RunAsync("users_to_contacts");
        await Quiet(bed);

        Assert.Equal("ann@new.example.com", bed.Emulator.Org.Find(ann)!.Get("Email"));
        Assert.Equal(["ann@new.example.com"], await bed.ColumnAsync<string>("SELECT email FROM users WHERE id = 1"));
        var conflict = Assert.Single(await (await bed.Workspace.HistoryAsync(CancellationToken.None)).LoadConflictsAsync("contacts_to_users", ann, CancellationToken.None));
        Assert.Equal(("Email", "owner", "postgres", "ann@crm.example.com", "ann@new.example.com"),
            (conflict.Field, conflict.Rule, conflict.Winner, conflict.ValueOf("salesforce"), conflict.ValueOf("postgres")));
    }

    [Fact]
    public async Task A_delete_on_either_side_is_not_mirrored_and_nothing_is_recreated()
    {
        await using var bed = await LinkedAsync(Users);
        var ann = Contact(bed, "ann@example.com").Id;
        var bob = Contact(bed, "bob@example.com").Id;

        // Ann's Contact is deleted in Salesforce: her user stays, and her next change in the app does not recreate it.
        Assert.True(bed.Emulator.Org.Save([new SaveRequest { Operation = SaveOperation.Delete, Id = ann }]).Single().Success);
        await bed.RunAsync("contacts_to_users");
        Assert.Equal(["Ann"], await bed.ColumnAsync<string>("SELECT first_name FROM users WHERE id = 1"));
        await bed.ExecuteAsync("UPDATE users SET first_name = 'Anna', updated_at = now() WHERE id = 1");
        var push = await bed.RunAsync("users_to_contacts");
        Assert.Equal((0, 1, 0), (push.Acknowledged, push.Skipped, push.Rejected));
        Assert.Single(bed.Emulator.Org.Records("Contact"));

        // Bob's user is deleted in the app: his Contact stays, and its next change in Salesforce has no row to update.
        await bed.ExecuteAsync("DELETE FROM users WHERE id = 2");
        Update(bed, bob, ("FirstName", "Robert"));
        var back = await bed.RunAsync("contacts_to_users");
        Assert.Equal(0, back.Acknowledged);
        Assert.Equal("Robert", bed.Emulator.Org.Find(bob)!.Get("FirstName"));
        Assert.Equal(0L, (await bed.ColumnAsync<long>("SELECT count(*) FROM users WHERE id = 2"))[0]);
    }

    /// <summary>The example's tables with both users pushed to Salesforce and the first poll back done: the pair is linked.</summary>
    internal static async Task<UseCaseBed> LinkedAsync(string schemaSql, int users = 2)
    {
        var bed = await UseCaseBed.StartAsync("two-way-contacts.yaml", schemaSql);
        var pushed = await bed.RunAsync("users_to_contacts");
        Assert.Equal(users, pushed.Acknowledged);
        var first = await bed.RunAsync("contacts_to_users");
        Assert.Equal(0, first.Acknowledged); // the initial load reads back what Sluice wrote: all echoes
        return bed;
    }

    /// <summary>Runs the pair, one direction after the other, until a round writes nothing on either side.</summary>
    internal static async Task<int> Quiet(UseCaseBed bed)
    {
        for (var round = 1; round <= 5; round++)
        {
            var there = await bed.RunAsync("users_to_contacts");
            var back = await bed.RunAsync("contacts_to_users");
            if (there.Acknowledged == 0 && back.Acknowledged == 0)
            {
                return round;
            }
        }

        throw new Xunit.Sdk.XunitException("the pair still wrote after 5 rounds: a loop");
    }

    /// <summary>Contact writes that came through the API from Sluice (its requests carry <c>client=sluice</c>).</summary>
    internal static int SluiceWrites(UseCaseBed bed) =>
        bed.Emulator.Requests.Count(r => r.Path.Contains("/composite/sobjects", StringComparison.Ordinal) && r.Method != "GET" && r.CallOptions?.Contains("client=sluice", StringComparison.Ordinal) == true);

    internal static SObjectRecord Contact(UseCaseBed bed, string email) =>
        bed.Emulator.Org.Records("Contact").Single(c => string.Equals((string?)c.Get("Email"), email, StringComparison.OrdinalIgnoreCase));

    /// <summary>An edit made in Salesforce by a person (in process: no API client, so no <c>client=</c> in its origin).</summary>
    internal static void Update(UseCaseBed bed, string id, params (string Field, string Value)[] fields)
    {
        var result = bed.Emulator.Org.Save([new SaveRequest
        {
            Operation = SaveOperation.Update,
            Id = id,
            Fields = [.. fields.Select(f => new KeyValuePair<string, JsonNode?>(f.Field, JsonValue.Create(f.Value)))],
        }]).Single();
        Assert.True(result.Success, string.Join("; ", result.Errors.Select(e => e.Message)));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Sluice.slnx not found above " + AppContext.BaseDirectory);
    }
}
