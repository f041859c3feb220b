using Sluice.Core.Configuration;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Connections;

/// <summary>TLS to a real server with a test CA's certificate for <c>localhost</c> and a pg_hba.conf that allows TLS only.</summary>
[Collection(SecuredPostgresCollection.Name)]
public sealed class TlsConnectionTests(SecuredPostgresFixture fixture)
{
    private const string Role = "tls_reader";
    private const string Password = "tls-reader-secret";
    private static readonly SemaphoreSlim Setup = new(1, 1);
    private static bool _ready;

    private SecuredTestPostgres Server => fixture.Server;

    [Fact]
    public async Task Verify_full_with_the_servers_CA_connects_over_TLS()
    {
        await EnsureRoleAsync();
        var options = Connections.Options(Keys("localhost", "verify-full", Server.Certificates.CaPath));
        await using var dataSource = options.CreateDataSource();
        Assert.Equal(true, await Connections.ScalarAsync(dataSource, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
    }

    [Fact]
    public async Task A_certificate_another_CA_signed_is_refused_with_a_plain_message()
    {
        await EnsureRoleAsync();
        var message = await Connections.CheckFailsAsync(Keys("localhost", "verify-full", Server.Certificates.OtherCaPath));
        Assert.Contains("the server's certificate is not signed by the CA in ssl_root_cert", message, StringComparison.Ordinal);
        Assert.Contains(Server.Certificates.OtherCaPath, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_name_the_certificate_does_not_list_is_refused_by_verify_full_only()
    {
        await EnsureRoleAsync();
        var message = await Connections.CheckFailsAsync(Keys("127.0.0.1", "verify-full", Server.Certificates.CaPath));
        Assert.Contains("the server's certificate is not issued for host '127.0.0.1' (it names 'localhost')", message, StringComparison.Ordinal);

        // verify-ca checks the chain but not the name: the same host connects, so the name was what failed.
        await Connections.CheckAsync(Keys("127.0.0.1", "verify-ca", Server.Certificates.CaPath));
    }

    [Fact]
    public async Task Without_TLS_a_server_that_requires_it_says_to_set_ssl_mode()
    {
        await EnsureRoleAsync();
        var message = await Connections.CheckFailsAsync(Keys("localhost", "disable", rootCertificate: null));
        Assert.Contains("the server requires TLS", message, StringComparison.Ordinal);
        Assert.EndsWith("set ssl_mode: require (or verify-full)", message, StringComparison.Ordinal);

        await Connections.CheckAsync(Keys("localhost", "require", rootCertificate: null));
    }

    [Fact]
    public async Task A_client_certificate_logs_in_without_a_password()
    {
        var options = Connections.Options($"""
            host: localhost
            port: {Server.Port}
            database: postgres
            user: {SecuredTestPostgres.CertificateUser}
            ssl_mode: verify-full
            ssl_root_cert: {Server.Certificates.CaPath}
            ssl_cert: {Server.Certificates.ClientCertificatePath}
            ssl_key: {Server.Certificates.ClientKeyPath}
            """);
        await using var dataSource = options.CreateDataSource();
        Assert.Equal(SecuredTestPostgres.CertificateUser, await Connections.ScalarAsync(dataSource, "SELECT current_user"));
    }

    [Fact]
    public void A_certificate_file_that_does_not_exist_is_a_config_error_naming_the_key()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.crt");
        var error = Assert.Throws<ConfigException>(() => Connections.Options($"database: app\nssl_mode: verify-full\nssl_root_cert: {missing}"));
        Assert.Equal("connections.db.ssl_root_cert", error.Location?.KeyPath);
        Assert.Contains("does not exist", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_certificate_without_its_key_is_a_config_error()
    {
        var error = Assert.Throws<ConfigException>(() => Connections.Options($"database: app\nssl_cert: {Server.Certificates.ClientCertificatePath}"));
        Assert.Contains("'ssl_key' is missing", error.Problem, StringComparison.Ordinal);
    }

    private string Keys(string host, string sslMode, string? rootCertificate) => $"""
        host: {host}
        port: {Server.Port}
        database: postgres
        user: {Role}
        password: {Password}
        ssl_mode: {sslMode}
        {(rootCertificate is null ? "" : $"ssl_root_cert: {rootCertificate}")}
        """;

    private async Task EnsureRoleAsync()
    {
        await Setup.WaitAsync();
        try
        {
            if (!_ready)
            {
                await Server.CreateLoginAsync(Role, Password);
                _ready = true;
            }
        }
        finally
        {
            Setup.Release();
        }
    }
}
