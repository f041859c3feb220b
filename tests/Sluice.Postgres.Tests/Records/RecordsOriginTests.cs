using System.Text;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Postgres.Destinations.Records;
using Sluice.Postgres.Security;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Records;

/// <summary>
/// A records export marked with a replication origin (a direction of a two-way pair): its transactions carry the origin
/// into logical decoding; a role that may not use origins writes unmarked and is told why; the grant
/// <c>sluice grants --for records</c> prints for a two-way sync is all a plain role needs.
/// </summary>
public sealed class RecordsOriginTests
{
    private const string Origin = "sluice_records_sync";

    [Fact]
    public async Task Marked_writes_carry_the_origin_and_a_plain_role_needs_only_the_printed_grant()
    {
        var database = new NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync(nameof(RecordsOriginTests))).Database!;
        var role = $"records_origin_{Environment.ProcessId}";
        await SuperuserAsync($"DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN");
        var cluster = await TestPostgres.GetClusterAsync();
        await using var admin = NpgsqlDataSource.Create(cluster.ConnectionString(database));
        var adminBed = new RecordsBed(admin);
        await adminBed.CreateTablesAsync();
        await ExecuteAsync(admin, $"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}; GRANT TEMPORARY ON DATABASE {database} TO {role}; CREATE PUBLICATION origin_test FOR TABLE {adminBed.Table}");
        var slot = $"origin_test_{Environment.ProcessId}";
        await ExecuteAsync(admin, $"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')");
        try
        {
            var address = new NpgsqlConnectionStringBuilder(cluster.ConnectionString(database));
            var connection = new PostgresConnectionOptions { Name = "app", Host = address.Host!, Port = address.Port, Database = database, User = role };
            await using var asRole = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(address.ConnectionString) { Username = role }.ConnectionString);
            var bed = new RecordsBed(asRole);

            // Without the grant: written all the same, unmarked, and the destination says why.
            await using (var refused = bed.Destination(RecordsMode.Sync, connection: connection))
            {
                refused.MarkOwnWrites(Origin);
                Assert.False(refused.SharesTransactions);
                await bed.WriteAsync(refused, bed.Upsert(1, "a@x", 5m));
                Assert.Contains("sluice grants --for records", refused.OriginRefused, StringComparison.Ordinal);
            }

            Assert.Equal([false], await OriginsDecodedAsync(admin, slot));

            // The printed grant, and nothing else: marked.
            var grant = new GrantsPlan(TwoWayConfig(address.Port, database, role), null).Sql(GrantTarget.Records, role)
                .Split('\n').Single(l => l.Contains("pg_replication_origin", StringComparison.Ordinal));
            await ExecuteAsync(admin, grant);
            await using (var marked = bed.Destination(RecordsMode.Sync, connection: connection))
            {
                marked.MarkOwnWrites(Origin);
                await bed.WriteAsync(marked, bed.Upsert(2, "b@x", 7m));
                Assert.Null(marked.OriginRefused);
            }

            Assert.Equal([true], await OriginsDecodedAsync(admin, slot));

            // An unmarked destination (one-way, as every export but a pair's) still shares the state store's transaction.
            await using var plain = bed.Destination(RecordsMode.Sync, connection: connection);
            Assert.True(plain.SharesTransactions);
        }
        finally
        {
            await ExecuteAsync(admin, $"SELECT pg_drop_replication_slot('{slot}')");
        }
    }

    /// <summary>
    /// For each transaction decoded since the last call: whether pgoutput sent this test's origin with it. Waits for one:
    /// decoding stops at the WAL flushed so far, and the test cluster commits without waiting for the flush.
    /// </summary>
    private static async Task<List<bool>> OriginsDecodedAsync(NpgsqlDataSource admin, string slot)
    {
        await Eventually.HoldsAsync(async () => (await DecodeAsync(admin, $"pg_logical_slot_peek_binary_changes('{slot}'")).Count > 0, "a transaction decoded");
        return await DecodeAsync(admin, $"pg_logical_slot_get_binary_changes('{slot}'");
    }

    private static async Task<List<bool>> DecodeAsync(NpgsqlDataSource admin, string call)
    {
        await using var command = admin.CreateCommand($"SELECT data FROM {call}, NULL, NULL, 'proto_version', '1', 'publication_names', 'origin_test')");
        await using var reader = await command.ExecuteReaderAsync();
        var transactions = new List<bool>();
        while (await reader.ReadAsync())
        {
            var message = (byte[])reader[0];
            switch ((char)message[0])
            {
                case 'B':
                    transactions.Add(false);
                    break;
                case 'O':
                    // Origin: its commit LSN (8 bytes), then its name, NUL-terminated.
                    transactions[^1] = Encoding.UTF8.GetString(message, 9, message.Length - 10) == Origin;
                    break;
            }
        }

        return transactions;
    }

    /// <summary>A two-way pair whose Salesforce → PostgreSQL direction exports records into <c>public.customers</c>.</summary>
    private static SluiceConfig TwoWayConfig(int port, string database, string role) => SluiceConfig.Parse($$"""
        connections:
          app: {type: postgres, host: localhost, port: {{port}}, database: {{database}}, user: {{role}}}
          crm:
            type: salesforce
            login_url: "https://login.example.com"
            auth: {flow: client_credentials, client_id: x, client_secret: y}
        syncs:
          customers_to_contacts:
            source: {connection: app, table: public.customers, cursor: updated_at}
            destination:
              connection: crm
              object: Contact
              operation: upsert
              match: {Email: email}
            mapping: {Email: email}
            two_way: {with: records_sync, conflicts: last_modified_wins}
          records_sync:
            source: {connection: crm, object: Contact, fields: [Id, Email, LastModifiedDate]}
            destination: {connection: app, table: public.customers, key: id, mode: enrich}
            mapping: {email: Email}
        """, "sluice.yaml", new Dictionary<string, string>());
}
