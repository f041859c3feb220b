using Npgsql;
using Sluice.Postgres.Destinations.Records;
using Sluice.Testing;
using SecuredPostgresCollection = Sluice.Postgres.Tests.Connections.SecuredPostgresCollection;
using SecuredPostgresFixture = Sluice.Postgres.Tests.Connections.SecuredPostgresFixture;
using TlsConnections = Sluice.Postgres.Tests.Connections.Connections;

namespace Sluice.Postgres.Tests.Records;

/// <summary>A records export over TLS with a client certificate, a key and the CA (G1), as Grouparoo offers.</summary>
[Collection(SecuredPostgresCollection.Name)]
public sealed class RecordsTlsTests(SecuredPostgresFixture fixture)
{
    [Fact]
    public async Task A_records_export_writes_over_TLS_with_a_client_certificate()
    {
        var server = fixture.Server;
        var database = $"records_tls_{Environment.ProcessId}";
        await server.ExecuteAsync($"CREATE DATABASE {database}");
        await using var admin = NpgsqlDataSource.Create(server.Cluster.ConnectionString(database));
        var adminBed = new RecordsBed(admin);
        await adminBed.CreateTablesAsync();
        await server.ExecuteAsync($"""
            GRANT TEMPORARY ON DATABASE {database} TO {SecuredTestPostgres.CertificateUser};
            GRANT SELECT, INSERT, UPDATE, DELETE ON customers TO {SecuredTestPostgres.CertificateUser};
            GRANT SELECT, INSERT, DELETE ON customer_groups TO {SecuredTestPostgres.CertificateUser};
            """, database);
        var options = TlsConnections.Options($"""
            host: localhost
            port: {server.Port}
            database: {database}
            user: {SecuredTestPostgres.CertificateUser}
            ssl_mode: verify-full
            ssl_root_cert: {server.Certificates.CaPath}
            ssl_cert: {server.Certificates.ClientCertificatePath}
            ssl_key: {server.Certificates.ClientKeyPath}
            """);
        await using var dataSource = options.CreateDataSource();
        var bed = new RecordsBed(dataSource);
        await using var destination = bed.Destination(RecordsMode.Sync, new Dictionary<string, string> { ["big"] = "lifetime_value > 10" }, options, dataSource);

        await destination.CheckAsync(CancellationToken.None);
        await bed.WriteAsync(destination, bed.Upsert(1, "a@x", 50m), bed.Upsert(2, "b@x", 5m));

        Assert.Equal(true, await TlsConnections.ScalarAsync(dataSource, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
        Assert.Equal(["(1,a@x,50,)", "(2,b@x,5,)"], await adminBed.RowsAsync());
        Assert.Equal(["(1,big)"], await adminBed.GroupsAsync());
    }
}
