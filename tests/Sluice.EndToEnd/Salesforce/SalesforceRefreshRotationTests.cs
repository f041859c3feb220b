namespace Sluice.EndToEnd.Salesforce;

/// <summary>
/// A connected app with refresh token rotation: each refresh answers a new refresh token and the one sent is dead. The
/// rotated token is kept encrypted in the state store, so the next <c>sluice</c> process logs in with it, and it is
/// never in plaintext in the database nor in anything sluice printed.
/// </summary>
public sealed class SalesforceRefreshRotationTests
{
    private const string Sync = "users_to_contacts";

    [Fact]
    public async Task A_second_process_logs_in_with_the_rotated_refresh_token_the_first_stored_encrypted()
    {
        await using var org = await SalesforceOrgs.StartAsync(rotateRefreshTokens: true);
        await using var bed = await TestBed.CreateAsync(nameof(A_second_process_logs_in_with_the_rotated_refresh_token_the_first_stored_encrypted),
            """
            CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, name text NOT NULL, updated_at timestamptz NOT NULL);
            INSERT INTO users SELECT i, 'user' || i || '@example.com', 'User ' || i, '2024-01-01'::timestamptz + i * interval '1 second'
            FROM generate_series(1, 10) i;
            """,
            at => $"""
                {at.Connections(segment: false)}
                  crm:
                    type: salesforce
                    login_url: {org.InstanceUrl}
                    auth:
                      flow: refresh_token
                      client_id: sluice-client
                      client_secret: sluice-secret
                      refresh_token: sluice-refresh-token
                state:
                  master_key_file: master.key
                syncs:
                  {Sync}:
                    source: {"{"}connection: app, table: public.users, cursor: updated_at{"}"}
                    destination: {"{"}connection: crm, object: Contact, operation: upsert, match: {"{"}Email: email{"}"}{"}"}
                    mapping:
                      Email: email
                      LastName: name

                """);
        var app = org.Org.Definition.ConnectedApps[0];
        var printed = new List<string>();
        var (keyExit, keyOutput) = await bed.RunSluiceAsync("secrets", "new-key", "--file", "master.key");
        Assert.True(keyExit == 0, keyOutput);

        var (firstExit, first) = await bed.RunSluiceAsync("sync", Sync, "-c", bed.ConfigPath);
        Assert.True(firstExit == 0, first);
        printed.Add(first);
        Assert.Equal(10, org.Org.Records("Contact").Count);
        // The configured token is dead now: only the rotated one gets in.
        var afterFirst = Assert.Single(app.RefreshTokens.Keys);
        Assert.NotEqual("sluice-refresh-token", afterFirst);

        await bed.ExecuteAsync("""
            INSERT INTO users SELECT i, 'user' || i || '@example.com', 'User ' || i, '2024-02-01'::timestamptz + i * interval '1 second'
            FROM generate_series(11, 15) i
            """);
        var (secondExit, second) = await bed.RunSluiceAsync("sync", Sync, "-c", bed.ConfigPath);
        Assert.True(secondExit == 0, second);
        printed.Add(second);
        Assert.Equal(15, org.Org.Records("Contact").Count);
        var afterSecond = Assert.Single(app.RefreshTokens.Keys);
        Assert.NotEqual(afterFirst, afterSecond); // the second process refreshed with the stored token, and stored the next

        printed.Add((await bed.RunSluiceAsync("secrets", "list", "-c", bed.ConfigPath)).Output);
        Assert.Contains("connection.crm.refresh_token", printed[^1], StringComparison.Ordinal);
        var dump = await SecretsTests.DumpAsync(bed.Db);
        foreach (var token in new[] { afterFirst, afterSecond })
        {
            Assert.DoesNotContain(token, dump, StringComparison.Ordinal);
            Assert.All(printed, text => Assert.DoesNotContain(token, text, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Without_a_master_key_a_rotated_refresh_token_fails_the_run_saying_how_to_keep_it()
    {
        await using var org = await SalesforceOrgs.StartAsync(rotateRefreshTokens: true);
        await using var bed = await TestBed.CreateAsync(nameof(Without_a_master_key_a_rotated_refresh_token_fails_the_run_saying_how_to_keep_it),
            "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, name text NOT NULL, updated_at timestamptz NOT NULL); INSERT INTO users VALUES (1, 'a@example.com', 'A', now())",
            at => $"""
                {at.Connections(segment: false)}
                  crm:
                    type: salesforce
                    login_url: {org.InstanceUrl}
                    auth: {"{"}flow: refresh_token, client_id: sluice-client, client_secret: sluice-secret, refresh_token: sluice-refresh-token{"}"}
                syncs:
                  {Sync}:
                    source: {"{"}connection: app, table: public.users, cursor: updated_at{"}"}
                    destination: {"{"}connection: crm, object: Contact, operation: upsert, match: {"{"}Email: email{"}"}{"}"}
                    mapping: {"{"}Email: email, LastName: name{"}"}

                """);

        var (exit, output) = await bed.RunSluiceAsync("sync", Sync, "-c", bed.ConfigPath);

        Assert.True(exit == 2, output);
        Assert.Contains("connection 'crm': its refresh token was rotated", output, StringComparison.Ordinal);
        Assert.Contains("SLUICE_MASTER_KEY", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Assert.Single(org.Org.Definition.ConnectedApps[0].RefreshTokens.Keys), output, StringComparison.Ordinal);
    }
}
