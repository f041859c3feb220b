using System.Diagnostics;
using Npgsql;
using Sluice.Dev.Embedded;

namespace Sluice.Testing;

/// <summary>
/// A second throwaway cluster, locked down the way production ones are: TLS on (a test CA's certificate for
/// <c>localhost</c>), and a <c>pg_hba.conf</c> that lets roles in <see cref="TlsLoginGroup"/> log in with a
/// password over TLS only, <see cref="CertificateUser"/> with its client certificate, and nobody else
/// (the superuser aside, who sets up the tests). One per test class: start it in a class fixture.
/// </summary>
public sealed class SecuredTestPostgres : IAsyncDisposable
{
    /// <summary>Roles in this group may log in with a password, over TLS only.</summary>
    public const string TlsLoginGroup = "sluice_tls_login";

    /// <summary>The role that logs in with the client certificate of <see cref="TestCertificates"/>.</summary>
    public const string CertificateUser = "sluice_cert_user";

    private const string DirectoryPrefix = "sluice-test-pgtls-";

    private SecuredTestPostgres(LocalCluster cluster, TestCertificates certificates, string directory)
    {
        Cluster = cluster;
        Certificates = certificates;
        Directory = directory;
    }

    public LocalCluster Cluster { get; }

    public TestCertificates Certificates { get; }

    public string Directory { get; }

    public int Port => Cluster.Port;

    public static async Task<SecuredTestPostgres> StartAsync()
    {
        TestCertificates? certificates = null;
        var cluster = await TestPostgres.StartClusterAsync(DirectoryPrefix, async directory =>
        {
            certificates = await TestCertificates.WriteAsync(Path.Combine(directory, "tls"), CertificateUser);
            await GiveToServerAsync(certificates.ServerKeyPath);
            return new Dictionary<string, string>
            {
                ["ssl"] = "on",
                ["ssl_cert_file"] = Quoted(certificates.ServerCertificatePath),
                ["ssl_key_file"] = Quoted(certificates.ServerKeyPath),
                ["ssl_ca_file"] = Quoted(certificates.CaPath), // verifies client certificates
            };
        });
        var directory = Path.GetDirectoryName(cluster.DataDirectory)!;
        var secured = new SecuredTestPostgres(cluster, certificates!, directory);
        await secured.ExecuteAsync($"CREATE ROLE {TlsLoginGroup} NOLOGIN; CREATE ROLE {CertificateUser} LOGIN");
        await File.WriteAllTextAsync(Path.Combine(cluster.DataDirectory, "pg_hba.conf"),
            $"""
            # Written by SecuredTestPostgres. The superuser sets the tests up over plain TCP; everyone else needs TLS.
            host     all  postgres          127.0.0.1/32  trust
            hostssl  all  {CertificateUser}  127.0.0.1/32  cert
            hostssl  all  +{TlsLoginGroup}  127.0.0.1/32  scram-sha-256

            """);
        await secured.ExecuteAsync("SELECT pg_reload_conf()");
        return secured;
    }

    /// <summary>Runs SQL as the superuser in the <c>postgres</c> database (roles are cluster-wide).</summary>
    public async Task ExecuteAsync(string sql, string database = "postgres")
    {
        await using var connection = new NpgsqlConnection(Cluster.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A role that may log in over TLS with <paramref name="password"/>.</summary>
    public Task CreateLoginAsync(string role, string password) =>
        ExecuteAsync($"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}' IN ROLE {TlsLoginGroup}");

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Cluster.StopAsync(immediate: true);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // temp files; the next run removes what is left
        }
    }

    private static string Quoted(string path) => "'" + path.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>PostgreSQL runs as the <c>postgres</c> OS user when we are root, and wants its key owned by itself, mode 0600.</summary>
    private static async Task GiveToServerAsync(string keyPath)
    {
        if (Environment.UserName != "root")
        {
            return;
        }

        using var chown = Process.Start("chown", ["postgres:postgres", keyPath]);
        await chown.WaitForExitAsync();
        if (chown.ExitCode != 0)
        {
            throw new InvalidOperationException($"chown postgres {keyPath} failed");
        }
    }
}
