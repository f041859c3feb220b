using Npgsql;
using Sluice.Core.Connectors;
using Sluice.Postgres.Sources.Models;
using Sluice.Testing;
using Sluice.Testing.Conformance;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Conformance;

/// <summary>
/// A model (a primary table and an aggregate of a secondary one, both followed by cursors) passes the source
/// conformance suite. A read from a checkpoint taken within its first read reads every record again: a read of every
/// record that did not end starts over, since only a whole read finds deleted records.
/// </summary>
public sealed class ModelSourceConformance : SourceConformance
{
    private NpgsqlDataSource _db = null!;

    protected override IReadOnlyList<string> KeyColumns => ["id"];

    protected override IReadOnlyList<string> SeededColumns => ["id", "name", "orders"];

    protected override bool ReadsOnFromItsCheckpoint => false;

    protected override async Task SetUpAsync()
    {
        _db = await TestPostgres.CreateDataSourceAsync(nameof(ModelSourceConformance));
        await ExecuteAsync(_db, """
            CREATE TABLE items (id text PRIMARY KEY, name text, updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
            CREATE TABLE item_orders (id bigserial PRIMARY KEY, item_id text, updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
            """);
    }

    protected override async Task TearDownAsync() => await _db.DisposeAsync();

    // Keys sort the same in COLLATE "C" (the model's order) as in seeding order.
    protected override Task SeedAsync(int from, int count) => ExecuteAsync(_db, $"""
        INSERT INTO items (id, name) SELECT 'r' || lpad(i::text, 4, '0'), 'item ' || i FROM generate_series({from}, {from + count - 1}) i;
        INSERT INTO item_orders (item_id) SELECT 'r' || lpad(i::text, 4, '0') FROM generate_series({from}, {from + count - 1}) i;
        """);

    protected override string KeyOf(int i) => $"r{i:D4}";

    protected override ISource CreateSource() => Source("items");

    protected override ISource CreateMisconfiguredSource() => Source("missing_items");

    private ModelSource Source(string table) => Models.ModelBed.Source(_db, $$"""
        table: {{table}}
        cursor: updated_at
        cursors:
          item_orders: updated_at
        properties:
          name: {column: name}
          orders: {from: item_orders, foreign_key: item_id, aggregate: count}
        """);
}
