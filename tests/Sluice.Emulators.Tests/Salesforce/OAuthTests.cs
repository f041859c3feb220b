using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Tests.Salesforce;

public sealed class OAuthTests
{
    private const string TokenPath = "/services/oauth2/token";

    [Fact]
    public async Task The_password_flow_answers_the_fields_salesforce_returns()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var token = await TokenAsync(harness, new() { ["grant_type"] = "password", ["client_id"] = "sluice-client", ["client_secret"] = "sluice-secret", ["username"] = "admin@sluice.test", ["password"] = "sluice" });

        var instance = harness.Emulator.InstanceUrl;
        Assert.Equal(instance, token["instance_url"]!.GetValue<string>());
        Assert.Equal("Bearer", token["token_type"]!.GetValue<string>());
        Assert.Equal($"{instance}/id/{harness.Emulator.Org.OrganizationId}/{harness.Emulator.Org.DefaultUserId}", token["id"]!.GetValue<string>());
        Assert.StartsWith(harness.Emulator.Org.OrganizationId[..15] + "!", token["access_token"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.InRange(long.Parse(token["issued_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), before, before + 60_000);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes("sluice-secret"), Encoding.UTF8.GetBytes(token["id"]!.GetValue<string>() + token["issued_at"]!.GetValue<string>())));
        Assert.Equal(expected, token["signature"]!.GetValue<string>());
        Assert.Null(token["refresh_token"]);

        using var api = Client(harness, token["access_token"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/services/data/v62.0/limits")).StatusCode);
    }

    [Theory]
    [InlineData("password", "sluice-client", "sluice-secret", "admin@sluice.test", "wrong", "invalid_grant", "authentication failure")]
    [InlineData("password", "nobody", "sluice-secret", "admin@sluice.test", "sluice", "invalid_client_id", "client identifier invalid")]
    [InlineData("password", "sluice-client", "bad-secret", "admin@sluice.test", "sluice", "invalid_client", "invalid client credentials")]
    [InlineData("magic", "sluice-client", "sluice-secret", null, null, "unsupported_grant_type", "grant type not supported")]
    [InlineData(null, "sluice-client", "sluice-secret", null, null, "invalid_request", "grant type is missing")]
    public async Task Token_errors_answer_400_with_error_and_description(string? grant, string clientId, string secret, string? username, string? password, string error, string description)
    {
        await using var harness = await SalesforceHarness.StartAsync();
        var form = new Dictionary<string, string> { ["client_id"] = clientId, ["client_secret"] = secret };
        Add(form, "grant_type", grant);
        Add(form, "username", username);
        Add(form, "password", password);

        using var response = await PostFormAsync(harness, form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(error, body["error"]!.GetValue<string>());
        Assert.Equal(description, body["error_description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Client_credentials_run_as_the_apps_user_with_the_secret_in_the_form_or_basic_auth()
    {
        await using var harness = await SalesforceHarness.StartAsync();

        var viaForm = await TokenAsync(harness, new() { ["grant_type"] = "client_credentials", ["client_id"] = "sluice-client", ["client_secret"] = "sluice-secret" });
        Assert.EndsWith(harness.Emulator.Org.DefaultUserId, viaForm["id"]!.GetValue<string>(), StringComparison.Ordinal);

        using var client = new HttpClient { BaseAddress = harness.Emulator.BaseUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("sluice-client:sluice-secret")));
        using var viaBasic = await client.PostAsync(TokenPath, new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }));
        Assert.Equal(HttpStatusCode.OK, viaBasic.StatusCode);
    }

    [Fact]
    public async Task A_refresh_token_from_the_org_file_gets_new_access_tokens_and_an_unknown_one_is_refused()
    {
        await using var harness = await SalesforceHarness.StartAsync();

        var token = await TokenAsync(harness, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = "sluice-refresh-token", ["client_id"] = "sluice-client", ["client_secret"] = "sluice-secret" });
        Assert.NotNull(token["access_token"]);

        using var refused = await PostFormAsync(harness, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = "stolen", ["client_id"] = "sluice-client" });
        Assert.Equal("expired access/refresh token", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error_description"]!.GetValue<string>());
    }

    [Fact]
    public async Task With_rotation_each_refresh_answers_a_new_refresh_token_and_the_one_sent_is_refused_from_then_on()
    {
        await using var harness = await SalesforceHarness.StartAsync(rotateRefreshTokens: true);
        Dictionary<string, string> Refresh(string token) => new() { ["grant_type"] = "refresh_token", ["refresh_token"] = token, ["client_id"] = "sluice-client", ["client_secret"] = "sluice-secret" };

        var first = await TokenAsync(harness, Refresh("sluice-refresh-token"));
        var rotated = first["refresh_token"]!.GetValue<string>();
        Assert.NotEqual("sluice-refresh-token", rotated);
        Assert.NotNull(first["access_token"]);

        using var old = await PostFormAsync(harness, Refresh("sluice-refresh-token"));
        Assert.Equal(HttpStatusCode.BadRequest, old.StatusCode);
        Assert.Equal("invalid_grant", JsonNode.Parse(await old.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());

        var second = await TokenAsync(harness, Refresh(rotated));
        Assert.NotEqual(rotated, second["refresh_token"]!.GetValue<string>());
        using var again = await PostFormAsync(harness, Refresh(rotated));
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
    }

    [Fact]
    public async Task Without_rotation_a_refresh_answers_no_refresh_token_and_the_token_keeps_working()
    {
        await using var harness = await SalesforceHarness.StartAsync();
        Dictionary<string, string> Refresh() => new() { ["grant_type"] = "refresh_token", ["refresh_token"] = "sluice-refresh-token", ["client_id"] = "sluice-client" };

        Assert.Null((await TokenAsync(harness, Refresh()))["refresh_token"]);
        Assert.NotNull((await TokenAsync(harness, Refresh()))["access_token"]);
    }

    [Fact]
    public async Task The_jwt_bearer_flow_verifies_the_signature_audience_and_expiry()
    {
        using var keys = new JwtKeys();
        var org = OrgFiles.WithSubscriptions();
        org.ConnectedApps.Add(new ConnectedAppDefinition { ClientId = "jwt-app", Certificate = keys.CertificatePem });
        await using var harness = await SalesforceHarness.StartAsync(org);
        var soon = DateTimeOffset.UtcNow.AddMinutes(3);

        var token = await TokenAsync(harness, Jwt(keys.Assertion("jwt-app", "admin@sluice.test", "https://login.salesforce.com", soon)));
        Assert.NotNull(token["access_token"]);
        await TokenAsync(harness, Jwt(keys.Assertion("jwt-app", "admin@sluice.test", harness.Emulator.InstanceUrl, soon)));

        using var otherKey = RSA.Create(2048);
        await AssertGrantErrorAsync(harness, Jwt(keys.Assertion("jwt-app", "admin@sluice.test", "https://login.salesforce.com", soon, otherKey)), "invalid_grant", "invalid assertion");
        await AssertGrantErrorAsync(harness, Jwt(keys.Assertion("jwt-app", "admin@sluice.test", "https://example.com", soon)), "invalid_grant", "audience is invalid");
        await AssertGrantErrorAsync(harness, Jwt(keys.Assertion("jwt-app", "admin@sluice.test", "https://login.salesforce.com", DateTimeOffset.UtcNow.AddMinutes(-1))), "invalid_grant", "expired authorization code");
        await AssertGrantErrorAsync(harness, Jwt(keys.Assertion("other-app", "admin@sluice.test", "https://login.salesforce.com", soon)), "invalid_client_id", "client identifier invalid");
        await AssertGrantErrorAsync(harness, Jwt(keys.Assertion("jwt-app", "ghost@sluice.test", "https://login.salesforce.com", soon)), "invalid_grant", "invalid assertion");
    }

    [Fact]
    public async Task An_expired_token_gets_401_invalid_session_id_while_a_new_login_works_at_once()
    {
        var time = new Segment.ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await SalesforceHarness.StartAsync(time: time, tokenTtl: TimeSpan.FromMinutes(10));
        var login = new Dictionary<string, string> { ["grant_type"] = "password", ["client_id"] = "sluice-client", ["client_secret"] = "sluice-secret", ["username"] = "admin@sluice.test", ["password"] = "sluice" };
        var first = (await TokenAsync(harness, login))["access_token"]!.GetValue<string>();
        using var api = Client(harness, first);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/services/data/v62.0/limits")).StatusCode);

        time.Now = time.Now.AddMinutes(10);

        var error = await SalesforceHarness.AssertErrorAsync(await api.GetAsync("/services/data/v62.0/limits"), 401, "INVALID_SESSION_ID");
        Assert.Equal("Session expired or invalid", error["message"]!.GetValue<string>());
        var second = (await TokenAsync(harness, login))["access_token"]!.GetValue<string>();
        using var renewed = Client(harness, second);
        Assert.Equal(HttpStatusCode.OK, (await renewed.GetAsync("/services/data/v62.0/limits")).StatusCode);
        await SalesforceHarness.AssertErrorAsync(await Client(harness, "garbage").GetAsync("/services/data/v62.0/limits"), 401, "INVALID_SESSION_ID");
    }

    [Fact]
    public async Task The_org_file_declares_users_apps_limits_and_custom_objects_in_yaml()
    {
        var org = Sluice.Emulators.Salesforce.OrgFile.Parse("""
            dailyApiRequests: 500
            users:
              - username: integration@example.com
                password: pw
                securityToken: TOKEN
            connectedApps:
              - clientId: app
                clientSecret: secret
            objects:
              Contact:
                fields:
                  External_Id__c: {type: string, length: 40, externalId: true, unique: true}
              Subscription__c:
                fields:
                  Plan__c: {type: picklist, values: [Free, Pro], restricted: true}
                  Account__c: {type: reference, referenceTo: [Account]}
            """);
        await using var harness = await SalesforceHarness.StartAsync(org);

        using var wrong = await PostFormAsync(harness, new() { ["grant_type"] = "password", ["client_id"] = "app", ["client_secret"] = "secret", ["username"] = "integration@example.com", ["password"] = "pw" });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        await TokenAsync(harness, new() { ["grant_type"] = "password", ["client_id"] = "app", ["client_secret"] = "secret", ["username"] = "integration@example.com", ["password"] = "pwTOKEN" });
        Assert.Equal(500, harness.Emulator.Stats.ApiRequestsLimit);
        Assert.True(harness.Emulator.Org.TryGetSchema("Subscription__c", out var subscription));
        Assert.StartsWith("a0", subscription.KeyPrefix, StringComparison.Ordinal);
        Assert.True(subscription.TryGetField("Plan__c", out var plan) && plan.RestrictedPicklist);
    }

    private static Dictionary<string, string> Jwt(string assertion) =>
        new() { ["grant_type"] = "urn:ietf:params:oauth:grant-type:jwt-bearer", ["assertion"] = assertion };

    private static async Task AssertGrantErrorAsync(SalesforceHarness harness, Dictionary<string, string> form, string error, string description)
    {
        using var response = await PostFormAsync(harness, form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal((error, description), (body["error"]!.GetValue<string>(), body["error_description"]!.GetValue<string>()));
    }

    private static async Task<JsonNode> TokenAsync(SalesforceHarness harness, Dictionary<string, string> form)
    {
        using var response = await PostFormAsync(harness, form);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static async Task<HttpResponseMessage> PostFormAsync(SalesforceHarness harness, Dictionary<string, string> form)
    {
        using var client = new HttpClient { BaseAddress = harness.Emulator.BaseUrl };
        return await client.PostAsync(TokenPath, new FormUrlEncodedContent(form));
    }

    private static HttpClient Client(SalesforceHarness harness, string token)
    {
        var client = new HttpClient { BaseAddress = harness.Emulator.BaseUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static void Add(Dictionary<string, string> form, string key, string? value)
    {
        if (value is not null)
        {
            form[key] = value;
        }
    }
}
