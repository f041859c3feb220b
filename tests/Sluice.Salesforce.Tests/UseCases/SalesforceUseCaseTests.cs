using System.Globalization;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Salesforce.Tests.UseCases;

/// <summary>
/// The four worked examples of docs/salesforce.md (F1, F3, F4, F7), each running its config file — the text the doc
/// shows — on real PostgreSQL against the emulator.
/// </summary>
public sealed class SalesforceUseCaseTests
{
    private const string Accounts = """
        CREATE TABLE accounts (id text PRIMARY KEY, name text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO accounts (id, name) VALUES ('acme', 'Acme'), ('globex', 'Globex');
        """;

    private const string Users = """
        CREATE TABLE users (
          id bigint PRIMARY KEY, email text NOT NULL, first_name text, last_name text NOT NULL,
          account_id text REFERENCES accounts, plan text NOT NULL DEFAULT 'trial', last_seen timestamptz,
          salesforce_contact_id text, updated_at timestamptz NOT NULL DEFAULT now());
        """;

    [Theory]
    [InlineData("f1-usage.yaml")]
    [InlineData("f2-opportunities.yaml")]
    [InlineData("f3-contacts.yaml")]
    [InlineData("f4-orders.yaml")]
    [InlineData("f6-activity-audit.yaml")]
    [InlineData("f7-campaign.yaml")]
    [InlineData("org.yaml")]
    public void The_doc_shows_each_example_file_verbatim(string file)
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "salesforce.md"));
        Assert.Contains("```yaml\n" + UseCaseBed.Text(file) + "```", doc, StringComparison.Ordinal);
    }

    [Fact]
    public async Task F1_product_usage_aggregated_per_account_lands_on_the_account_and_only_changed_accounts_are_sent_again()
    {
        await using var bed = await UseCaseBed.StartAsync("f1-usage.yaml", Accounts + """
            CREATE TABLE events (account_id text NOT NULL, user_id bigint NOT NULL, name text NOT NULL, at timestamptz NOT NULL);
            INSERT INTO events VALUES ('acme', 1, 'login', now() - interval '1 day'), ('acme', 1, 'export', now() - interval '2 days'),
                                      ('acme', 2, 'login', '2024-05-01T10:00:00Z'), ('acme', 2, 'login', now() - interval '40 days'),
                                      ('acme', 2, 'login', now() - interval '3 days');
            """);

        Assert.Equal(["accounts"], await bed.Workspace.RunFirstAsync("account_usage"));
        await bed.RunAsync("accounts");
        var usage = await bed.RunAsync("account_usage");

        Assert.Equal(2, usage.Acknowledged);
        var acme = Account(bed, "acme");
        Assert.Equal(2d, Convert.ToDouble(acme.Get("Active_Users__c"), CultureInfo.InvariantCulture));
        Assert.Equal(3d, Convert.ToDouble(acme.Get("Events_30d__c"), CultureInfo.InvariantCulture));
        Assert.NotNull(acme.Get("Last_Active__c"));
        Assert.Equal(0d, Convert.ToDouble(Account(bed, "globex").Get("Events_30d__c"), CultureInfo.InvariantCulture));

        await bed.ExecuteAsync("INSERT INTO events VALUES ('globex', 7, 'login', now())");
        var next = await bed.RunAsync("account_usage");

        Assert.Equal(1, next.Acknowledged); // acme's numbers did not change: not sent again
        Assert.Equal(1d, Convert.ToDouble(Account(bed, "globex").Get("Active_Users__c"), CultureInfo.InvariantCulture));
        Assert.Equal(2, bed.Emulator.Org.Records("Account").Count);
    }

    [Fact]
    public async Task F3_users_become_contacts_found_by_email_or_created_with_their_ids_written_back_once_and_updated_by_id_later()
    {
        await using var bed = await UseCaseBed.StartAsync("f3-contacts.yaml", Accounts + Users + """
            INSERT INTO users (id, email, first_name, last_name, account_id) VALUES
              (1, 'Ann@Example.com', 'Ann', 'Lee', 'acme'), (2, 'bob@example.com', 'Bob', 'Ray', 'acme'), (3, 'cy@example.com', 'Cy', 'Fox', 'globex');
            """);
        // Ann is in Salesforce already (a trade-show lead turned contact), with her email in other case.
        var ann = Seed(bed, "Contact", ("LastName", "Lee (trade show)"), ("Email", "ann@example.com"));

        Assert.Equal(["accounts"], await bed.Workspace.RunFirstAsync("users_to_contacts"));
        await bed.RunAsync("accounts");
        var store = await bed.Workspace.StateAsync(CancellationToken.None);
        var queriesBefore = bed.ApiRequests("/query");
        var run = await bed.RunAsync("users_to_contacts");

        Assert.Equal(3, run.Acknowledged);
        Assert.Equal(1, bed.ApiRequests("/query") - queriesBefore); // one SOQL IN (…) for the batch's emails
        var contacts = bed.Emulator.Org.Records("Contact");
        Assert.Equal(3, contacts.Count); // Ann found, not duplicated
        Assert.Equal("Lee", contacts.Single(c => c.Id == ann).Get("LastName"));
        var accountIds = bed.Emulator.Org.Records("Account").ToDictionary(a => (string)a.Get("External_Id__c")!, a => a.Id);
        Assert.All(contacts, c => Assert.Equal(accountIds[(string)c.Get("Email")! == "cy@example.com" ? "globex" : "acme"], c.Get("AccountId")));
        var written = await bed.ColumnAsync<string>("SELECT salesforce_contact_id FROM users ORDER BY id");
        Assert.Equal(ann, written[0]);
        Assert.Equal(contacts.Select(c => c.Id).Order(), written.Order());
        Assert.Empty((await store.DeadLetters.ListAsync("users_to_contacts", 10, includeReplayed: false, withPayload: false, default)).Letters);

        // The write-back does not come back as a change: the next run sends nothing.
        var writesBefore = bed.ApiRequests("/composite/sobjects");
        var quiet = await bed.RunAsync("users_to_contacts");
        Assert.Equal(0, quiet.Acknowledged);
        Assert.Equal(writesBefore, bed.ApiRequests("/composite/sobjects"));

        // A later change is an update by the Id kept for it: no lookup, no new Contact, the written-back id unchanged.
        await bed.ExecuteAsync("UPDATE users SET last_name = 'Ray-Smith', updated_at = now() WHERE id = 2");
        queriesBefore = bed.ApiRequests("/query");
        var update = await bed.RunAsync("users_to_contacts");
        Assert.Equal(1, update.Acknowledged);
        Assert.Equal(queriesBefore, bed.ApiRequests("/query"));
        Assert.Equal(3, bed.Emulator.Org.Records("Contact").Count);
        Assert.Equal("Ray-Smith", bed.Emulator.Org.Find(written[1])!.Get("LastName"));
        Assert.Equal(written, await bed.ColumnAsync<string>("SELECT salesforce_contact_id FROM users ORDER BY id"));
    }

    [Fact]
    public async Task F3_a_contact_whose_account_is_not_in_salesforce_waits_and_is_sent_once_the_account_arrives_never_dead_lettered()
    {
        await using var bed = await UseCaseBed.StartAsync("f3-contacts.yaml", Accounts + Users + """
            INSERT INTO users (id, email, first_name, last_name, account_id) VALUES (1, 'ann@example.com', 'Ann', 'Lee', 'acme'), (2, 'bob@example.com', 'Bob', 'Ray', 'globex');
            """);
        var ann = Seed(bed, "Contact", ("LastName", "Lee (trade show)"), ("Email", "Ann@Example.com"));

        // Run out of order (the accounts sync has not run): the contacts wait; nothing is dead-lettered or created.
        var early = await bed.RunAsync("users_to_contacts");
        Assert.Equal(0, early.Acknowledged);
        Assert.Equal(0, early.Rejected);
        var store = await bed.Workspace.StateAsync(CancellationToken.None);
        var waiting = (await store.DeadLetters.ListAsync("users_to_contacts", 10, includeReplayed: false, withPayload: false, default)).Letters;
        Assert.Equal(["1", "2"], waiting.Select(l => l.RecordKey).Order());
        Assert.All(waiting, l => Assert.Equal("waiting", l.Kind));
        Assert.Single(bed.Emulator.Org.Records("Contact"));

        // The accounts arrive; the contacts' next run offers the waiting ones again and sends them — Ann still found by email.
        await bed.RunAsync("accounts");
        var late = await bed.RunAsync("users_to_contacts");

        Assert.Equal(2, late.Acknowledged); // the records sent from waiting count as acknowledged
        var contacts = bed.Emulator.Org.Records("Contact");
        Assert.Equal(2, contacts.Count);
        Assert.Equal("Lee", bed.Emulator.Org.Find(ann)!.Get("LastName"));
        var bob = contacts.Single(c => (string?)c.Get("Email") == "bob@example.com");
        Assert.Equal(Account(bed, "globex").Id, bob.Get("AccountId"));
        // Sent from waiting, their Ids are written back all the same.
        Assert.Equal([ann, bob.Id], await bed.ColumnAsync<string>("SELECT salesforce_contact_id FROM users ORDER BY id"));
        Assert.Empty((await store.DeadLetters.ListAsync("users_to_contacts", 10, includeReplayed: false, withPayload: false, default)).Letters);
        await bed.RunAsync("users_to_contacts");
        Assert.Equal(2, bed.Emulator.Org.Records("Contact").Count);
    }

    [Fact]
    public async Task F4_orders_become_opportunities_and_subscriptions_a_custom_object_with_mrr_arr_and_renewal_by_external_id()
    {
        await using var bed = await UseCaseBed.StartAsync("f4-orders.yaml", Accounts + """
            CREATE TABLE orders (id text PRIMARY KEY, account_id text NOT NULL REFERENCES accounts, amount numeric(12,2) NOT NULL, ordered_on date NOT NULL, paid boolean NOT NULL);
            CREATE TABLE subscriptions (id text PRIMARY KEY, account_id text NOT NULL REFERENCES accounts, plan text NOT NULL, mrr numeric(12,2) NOT NULL,
                                        renews_on date NOT NULL, cancelled_at timestamptz);
            INSERT INTO orders VALUES ('o-1', 'acme', 1200.00, '2024-06-01', true), ('o-2', 'globex', 80.50, '2024-06-03', false);
            INSERT INTO subscriptions VALUES ('s-1', 'acme', 'team', 250.00, '2025-06-01', NULL), ('s-2', 'globex', 'starter', 20.00, '2025-01-01', now());
            """);

        Assert.Equal(["accounts"], await bed.Workspace.RunFirstAsync("subscriptions"));
        await bed.RunAsync("accounts");
        await bed.RunAsync("orders_to_opportunities");
        await bed.RunAsync("subscriptions");

        var acme = Account(bed, "acme").Id;
        var won = bed.Emulator.Org.Records("Opportunity").Single(o => (string?)o.Get("External_Id__c") == "o-1");
        Assert.Equal("Closed Won", won.Get("StageName"));
        Assert.Equal(1200m, Convert.ToDecimal(won.Get("Amount"), CultureInfo.InvariantCulture));
        Assert.Equal(acme, won.Get("AccountId"));
        Assert.Equal("Negotiation/Review", bed.Emulator.Org.Records("Opportunity").Single(o => (string?)o.Get("External_Id__c") == "o-2").Get("StageName"));
        var subscription = bed.Emulator.Org.Records("Subscription__c").Single();
        Assert.Equal("s-1", subscription.Get("External_Id__c"));
        Assert.Equal("Team", subscription.Get("Plan__c"));
        Assert.Equal(250m, Convert.ToDecimal(subscription.Get("MRR__c"), CultureInfo.InvariantCulture));
        Assert.Equal(3000m, Convert.ToDecimal(subscription.Get("ARR__c"), CultureInfo.InvariantCulture));
        Assert.Equal("2025-06-01", ((IFormattable)subscription.Get("Renewal_Date__c")!).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Assert.Equal(acme, subscription.Get("Account__c"));

        await bed.ExecuteAsync("UPDATE subscriptions SET mrr = 300.00, plan = 'enterprise' WHERE id = 's-1'");
        var next = await bed.RunAsync("subscriptions");

        Assert.Equal(1, next.Acknowledged);
        var updated = bed.Emulator.Org.Records("Subscription__c").Single();
        Assert.Equal(subscription.Id, updated.Id);
        Assert.Equal(3600m, Convert.ToDecimal(updated.Get("ARR__c"), CultureInfo.InvariantCulture));
        Assert.Equal("Enterprise", updated.Get("Plan__c"));
    }

    [Fact]
    public async Task F7_campaign_members_follow_the_segment_added_changed_and_removed_with_their_status()
    {
        await using var bed = await UseCaseBed.StartAsync("f7-campaign.yaml", Accounts + Users);
        Seed(bed, "Campaign", ("Name", "Trial nurture"), ("External_Id__c", "trial-nurture"));
        var contacts = Enumerable.Range(1, 3).Select(i => Seed(bed, "Contact", ("LastName", $"User {i}"), ("Email", $"u{i}@example.com"))).ToList();
        await bed.ExecuteAsync($"""
            INSERT INTO users (id, email, last_name, plan, last_seen, salesforce_contact_id) VALUES
              (1, 'u1@example.com', 'User 1', 'trial', now(), '{contacts[0]}'),
              (2, 'u2@example.com', 'User 2', 'trial', now() - interval '30 days', '{contacts[1]}'),
              (3, 'u3@example.com', 'User 3', 'paid', now(), '{contacts[2]}');
            """);

        await bed.RunAsync("trial_nurture_members");

        var members = Members(bed);
        Assert.Equal(2, members.Count);
        Assert.Equal("Responded", members[contacts[0]].Get("Status"));
        Assert.Equal("Sent", members[contacts[1]].Get("Status"));
        var campaign = bed.Emulator.Org.Records("Campaign").Single().Id;
        Assert.All(members.Values, m => Assert.Equal(campaign, m.Get("CampaignId")));
        var first = members[contacts[0]].Id;

        // User 2 converts (leaves the segment), user 1 goes quiet (status changes), user 3 downgrades to trial (joins).
        await bed.ExecuteAsync("""
            UPDATE users SET plan = 'paid' WHERE id = 2;
            UPDATE users SET last_seen = now() - interval '30 days' WHERE id = 1;
            UPDATE users SET plan = 'trial' WHERE id = 3;
            """);
        var next = await bed.RunAsync("trial_nurture_members");

        Assert.Equal(3, next.Acknowledged);
        members = Members(bed);
        Assert.Equal([contacts[0], contacts[2]], members.Keys.Order());
        Assert.Equal(first, members[contacts[0]].Id); // updated in place
        Assert.Equal("Sent", members[contacts[0]].Get("Status"));
        Assert.Equal("Responded", members[contacts[2]].Get("Status"));
        Assert.Single(bed.Emulator.Org.Records("CampaignMember", includeDeleted: true), m => m.IsDeleted && (string?)m.Get("ContactId") == contacts[1]);
    }

    [Fact]
    public async Task F7_a_member_deleted_in_Salesforce_is_created_again_when_the_user_is_in_the_segment_again()
    {
        await using var bed = await UseCaseBed.StartAsync("f7-campaign.yaml", Accounts + Users);
        Seed(bed, "Campaign", ("Name", "Trial nurture"), ("External_Id__c", "trial-nurture"));
        var contacts = Enumerable.Range(1, 2).Select(i => Seed(bed, "Contact", ("LastName", $"User {i}"), ("Email", $"u{i}@example.com"))).ToList();
        await bed.ExecuteAsync($"""
            INSERT INTO users (id, email, last_name, plan, last_seen, salesforce_contact_id) VALUES
              (1, 'u1@example.com', 'User 1', 'trial', now(), '{contacts[0]}'),
              (2, 'u2@example.com', 'User 2', 'trial', now(), '{contacts[1]}');
            """);
        await bed.RunAsync("trial_nurture_members");
        var before = Members(bed);

        // User 1's membership is removed by hand in Salesforce; user 2 converts, so the sync removes theirs.
        var removed = bed.Emulator.Org.Save([new SaveRequest { Operation = SaveOperation.Delete, ObjectName = "CampaignMember", Id = before[contacts[0]].Id }]).Single();
        Assert.True(removed.Success);
        await bed.ExecuteAsync("UPDATE users SET plan = 'paid' WHERE id = 2");
        await bed.RunAsync("trial_nurture_members");
        Assert.Empty(Members(bed));

        // Both come back: user 1 goes quiet (a change to a member Salesforce no longer has), user 2 is back on trial.
        await bed.ExecuteAsync("""
            UPDATE users SET last_seen = now() - interval '30 days' WHERE id = 1;
            UPDATE users SET plan = 'trial' WHERE id = 2;
            """);
        var again = await bed.RunAsync("trial_nurture_members");

        Assert.Equal(0, again.Rejected);
        Assert.Equal(2, again.Acknowledged);
        var after = Members(bed);
        Assert.Equal([contacts[0], contacts[1]], after.Keys.Order());
        Assert.NotEqual(before[contacts[0]].Id, after[contacts[0]].Id);
        Assert.NotEqual(before[contacts[1]].Id, after[contacts[1]].Id);
        Assert.Equal("Sent", after[contacts[0]].Get("Status"));
        Assert.Equal("Responded", after[contacts[1]].Get("Status"));

        // The ledger keeps the new Ids: the next change updates the new members in place.
        await bed.ExecuteAsync("UPDATE users SET last_seen = now() WHERE id = 1");
        var later = await bed.RunAsync("trial_nurture_members");
        Assert.Equal(1, later.Acknowledged);
        Assert.Equal(0, later.Rejected);
        Assert.Equal(after[contacts[0]].Id, Members(bed)[contacts[0]].Id);
        Assert.Equal("Responded", Members(bed)[contacts[0]].Get("Status"));
    }

    private static Dictionary<string, SObjectRecord> Members(UseCaseBed bed) =>
        bed.Emulator.Org.Records("CampaignMember").ToDictionary(m => (string)m.Get("ContactId")!);

    private static SObjectRecord Account(UseCaseBed bed, string externalId) =>
        bed.Emulator.Org.Records("Account").Single(a => (string?)a.Get("External_Id__c") == externalId);

    private static string Seed(UseCaseBed bed, string objectName, params (string Name, string Value)[] fields)
    {
        var result = bed.Emulator.Org.Save([new SaveRequest
        {
            Operation = SaveOperation.Insert,
            ObjectName = objectName,
            Fields = [.. fields.Select(f => new KeyValuePair<string, JsonNode?>(f.Name, JsonValue.Create(f.Value)))],
        }]).Single();
        Assert.True(result.Success);
        return result.Id!;
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
