using System.Net;
using System.Net.Http.Headers;
using Sluice.Core.Configuration;

namespace Sluice.Server.Tests.Access;

/// <summary>
/// The admin surface of <c>sluice run</c> (docs/deploy.md): the dashboard, <c>/api</c> and <c>/metrics</c> on their own
/// listener, the Host header checked on both, a token off loopback, cross-site POSTs refused, <c>/healthz</c> and
/// <c>/readyz</c> on both.
/// </summary>
public sealed class AdminListenerTests
{
    private const string Token = "s3cret-admin-token-0123456789abcdef";

    private static readonly Dictionary<string, string> Environment = new() { ["SLUICE_ADMIN_TOKEN"] = Token };

    [Fact]
    public async Task The_dashboard_admin_api_and_metrics_are_on_the_admin_listener_and_not_on_the_ingest_one()
    {
        await using var bed = await AdminServerBed.StartAsync("admin_split");
        using var ingest = AdminServerBed.Client(bed.Addresses.Ingest);
        using var admin = AdminServerBed.Client(bed.Addresses.Admin);
        Assert.NotEqual(bed.Addresses.Ingest.Port, bed.Addresses.Admin.Port);

        foreach (var path in new[] { "/", "/api/syncs", "/metrics" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await ingest.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(path)).StatusCode);
        }

        foreach (var client in new[] { ingest, admin })
        {
            Assert.Equal("ok\n", await client.GetStringAsync("/healthz"));
            Assert.Equal("ready\n", await client.GetStringAsync("/readyz"));
        }
    }

    [Fact]
    public async Task A_request_under_a_host_name_the_server_was_not_given_is_refused_with_421_on_both_listeners()
    {
        await using var bed = await AdminServerBed.StartAsync("admin_hosts", "  allowed_hosts: [sluice.example.com]");
        using var ingest = AdminServerBed.Client(bed.Addresses.Ingest);
        using var admin = AdminServerBed.Client(bed.Addresses.Admin);

        // A page of rebind.attacker.test whose name now resolves to 127.0.0.1: same-origin for the browser, not for Sluice.
        using var rebound = await admin.SendAsync(Get("/api/syncs", host: $"rebind.attacker.test:{bed.Addresses.Admin.Port}"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, rebound.StatusCode);
        var reason = await rebound.Content.ReadAsStringAsync();
        Assert.Contains("does not answer to the host name", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("[", reason, StringComparison.Ordinal); // no JSON of syncs
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await ingest.SendAsync(Get("/healthz", host: "rebind.attacker.test"))).StatusCode);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await admin.SendAsync(Get("/metrics", host: "rebind.attacker.test"))).StatusCode);

        // Loopback names, the bound address and the configured name are answered.
        foreach (var host in new[] { "localhost", "127.0.0.1", "[::1]", "sluice.example.com", "SLUICE.example.com" })
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(Get("/api/syncs", host: $"{host}:{bed.Addresses.Admin.Port}"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await ingest.SendAsync(Get("/healthz", host: host))).StatusCode);
        }
    }

    [Fact]
    public async Task With_a_token_the_admin_listener_asks_for_it_by_bearer_header_or_login_cookie()
    {
        await using var bed = await AdminServerBed.StartAsync("admin_token", "  admin_token: ${SLUICE_ADMIN_TOKEN}", Environment);
        using var admin = AdminServerBed.Client(bed.Addresses.Admin);

        using var anonymous = await admin.GetAsync("/api/syncs");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var refusal = await anonymous.Content.ReadAsStringAsync();
        Assert.Contains("Authorization: Bearer", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain(bed.State.Database!, refusal, StringComparison.Ordinal);
        Assert.DoesNotContain(bed.State.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), refusal, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.SendAsync(Get("/api/syncs", bearer: "not-the-token"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(Get("/api/syncs", bearer: Token))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode); // load balancers need no token

        // A browser is sent to the login form, and logging in sets a cookie that scripts and other sites never see.
        using var page = await admin.SendAsync(Get("/", accept: "text/html"));
        Assert.Equal(HttpStatusCode.SeeOther, page.StatusCode);
        Assert.StartsWith("/login", page.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Contains("name=\"token\"", await admin.GetStringAsync("/login"), StringComparison.Ordinal);

        using var wrong = await admin.SendAsync(Login("wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));

        using var login = await admin.SendAsync(Login(Token));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Token, cookie, StringComparison.Ordinal);
        var session = cookie[..cookie.IndexOf(';', StringComparison.Ordinal)];

        var withCookie = Get("/", accept: "text/html");
        withCookie.Headers.Add("Cookie", session);
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(withCookie)).StatusCode);
        var forged = Get("/api/syncs");
        forged.Headers.Add("Cookie", session[..^3] + "AAA");
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.SendAsync(forged)).StatusCode);
    }

    [Fact]
    public async Task A_cross_site_post_to_the_admin_listener_is_refused_and_a_same_origin_one_is_not()
    {
        await using var bed = await AdminServerBed.StartAsync("admin_csrf", "  admin_token: ${SLUICE_ADMIN_TOKEN}", Environment);
        using var admin = AdminServerBed.Client(bed.Addresses.Admin);
        var own = $"http://127.0.0.1:{bed.Addresses.Admin.Port}";

        var crossSite = Login(Token);
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        crossSite.Headers.Add("Origin", "https://evil.example");
        using var refused = await admin.SendAsync(crossSite);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("cross-site", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var otherOrigin = Login(Token);
        otherOrigin.Headers.Add("Origin", "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.SendAsync(otherOrigin)).StatusCode);

        var sameOrigin = Login(Token);
        sameOrigin.Headers.Add("Sec-Fetch-Site", "same-origin");
        sameOrigin.Headers.Add("Origin", own);
        Assert.Equal(HttpStatusCode.Redirect, (await admin.SendAsync(sameOrigin)).StatusCode);

        var originOnly = Login(Token);
        originOnly.Headers.Add("Origin", own);
        Assert.Equal(HttpStatusCode.Redirect, (await admin.SendAsync(originOnly)).StatusCode);
    }

    [Fact]
    public async Task Readyz_answers_503_with_a_reason_that_names_no_host_when_the_state_database_cannot_be_reached_or_lacks_migrations()
    {
        await using var bed = await AdminServerBed.StartAsync("admin_readyz");
        using var ingest = AdminServerBed.Client(bed.Addresses.Ingest);
        Assert.Equal("ready\n", await ingest.GetStringAsync("/readyz"));

        await using (var connection = new Npgsql.NpgsqlConnection(bed.State.ConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand("DELETE FROM sluice.schema_migrations WHERE version = (SELECT max(version) FROM sluice.schema_migrations)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        using var behind = await ingest.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, behind.StatusCode);
        Assert.Contains("lacks migrations", await behind.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("ok\n", await ingest.GetStringAsync("/healthz"));

        // A state database nobody listens on: not ready, and the answer names neither its host nor its port.
        var nowhere = new Npgsql.NpgsqlConnectionStringBuilder(bed.State.ConnectionString) { Host = "127.0.0.1", Port = FreePort() };
        await using var down = await AdminServerBed.StartAsync("admin_readyz_down", state: nowhere, migrate: false);
        using var admin = AdminServerBed.Client(down.Addresses.Admin);
        using var unreachable = await admin.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unreachable.StatusCode);
        var reason = await unreachable.Content.ReadAsStringAsync();
        Assert.Equal("not ready: the state database cannot be reached\n", reason);
    }

    [Fact]
    public void An_admin_listener_beyond_loopback_without_a_token_is_a_config_error_naming_the_key()
    {
        var error = Assert.Throws<ConfigException>(() => TestConfig.Parse(TestConfig.Connections + "server:\n  admin_listen: http://0.0.0.0:7081\n"));
        Assert.Contains("server.admin_token", error.Message, StringComparison.Ordinal);
        Assert.Contains("admin_token: ${SLUICE_ADMIN_TOKEN}", error.ToString(), StringComparison.Ordinal);

        var config = SluiceConfig.Parse(TestConfig.Connections + "server:\n  admin_listen: http://0.0.0.0:7081\n  admin_token: ${SLUICE_ADMIN_TOKEN}\n", "sluice.yaml", Environment);
        Assert.Equal("http://0.0.0.0:7081", config.Server.AdminListen);
        Assert.Equal("********", config.Server.AdminToken!.ToString());
        Assert.Equal(ServerConfig.DefaultAdminListen, TestConfig.Parse(TestConfig.Connections).Server.AdminListen);
    }

    [Fact]
    public async Task An_admin_listener_beyond_loopback_given_on_the_command_line_without_a_token_does_not_start()
    {
        var error = await Assert.ThrowsAsync<Core.Errors.SluiceException>(async () =>
        {
            await using var bed = await AdminServerBed.StartAsync("admin_cli_refused", adminListen: "http://0.0.0.0:0");
        });
        Assert.Equal(Core.Errors.ErrorClass.Config, error.Class);
        Assert.Contains("server.admin_token", error.Message, StringComparison.Ordinal);
    }

    private static HttpRequestMessage Get(string path, string? host = null, string? bearer = null, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        return request;
    }

    private static HttpRequestMessage Login(string token) =>
        new(HttpMethod.Post, "/login") { Content = new FormUrlEncodedContent([new("token", token), new("to", "/")]) };

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
