using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Postgres.Cdc;
using Sluice.Postgres.Tests.Cdc;
using Sluice.Testing.Conformance;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Conformance;

/// <summary>
/// The CDC source in its polling mode (<c>cdc: {fallback: poll}</c> on a server whose <c>wal_level</c> is replica)
/// passes the source conformance suite: it reads its table by cursor, as the table source would, and says so.
/// </summary>
public sealed class CdcPollingSourceConformance : SourceConformance
{
    private static int _cases;
    private readonly string _purpose = $"conformance_cdc_poll_{Interlocked.Increment(ref _cases)}";
    private NpgsqlDataSource _db = null!;

    protected override IReadOnlyList<string> KeyColumns => ["id"];

    protected override IReadOnlyList<string> SeededColumns => ["id", "updated_at", "name"];

    protected override async Task SetUpAsync()
    {
        _db = await CdcPreflightTests.ReplicaCluster.CreateDataSourceAsync(_purpose);
        await ExecuteAsync(_db, "CREATE TABLE items (id text PRIMARY KEY, updated_at timestamptz NOT NULL, name text)");
    }

    protected override async Task TearDownAsync() => await _db.DisposeAsync();

    protected override Task SeedAsync(int from, int count) => ExecuteAsync(_db, $"""
        INSERT INTO items SELECT 'r' || lpad(i::text, 4, '0'), '2024-01-01'::timestamptz + i * interval '1 second', 'item ' || i
        FROM generate_series({from}, {from + count - 1}) i
        """);

    protected override string KeyOf(int i) => $"r{i:D4}";

    protected override ISource CreateSource() => Source("public.items");

    protected override ISource CreateMisconfiguredSource() => Source("public.missing_items");

    private ISource Source(string table)
    {
        var builder = new NpgsqlConnectionStringBuilder(_db.ConnectionString);
        var config = SluiceConfig.Parse(
            $$"""
            connections:
              app: {type: postgres, database: {{builder.Database}}}
              segment: {type: segment, write_key: k}
            syncs:
              items_sync:
                source:
                  connection: app
                  table: {{table}}
                  cursor: updated_at
                  page_size: 5
                  cdc: {fallback: poll}
                destination: {connection: segment, call: identify}
                mapping: {user_id: id}
            """, "sluice.yaml");
        var sync = config.Syncs[0];
        var connection = new PostgresConnectionOptions { Name = "app", Host = builder.Host!, Port = builder.Port, Database = builder.Database!, User = builder.Username! };
        var source = PollingFallbackSource.Create(sync, _db, connection, () => new CdcSource(_db, connection, CdcSourceOptions.Bind(sync), TimeProvider.System));
        Assert.IsType<PollingFallbackSource>(source);
        return source;
    }
}
