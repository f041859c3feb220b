using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Diffing;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Postgres.Sources.Models;

namespace Sluice.Postgres.Tests.Models;

/// <summary>Customers, their orders and subscriptions, and the models tests build over them.</summary>
internal static class ModelBed
{
    public const string Tables = """
        CREATE TABLE customers (id bigint PRIMARY KEY, email text, updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, amount numeric(12,2), status text, created_at timestamptz,
            updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
        CREATE TABLE subscriptions (id bigint PRIMARY KEY, customer_id bigint, plan text, started_at timestamptz,
            updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
        """;

    /// <summary>Every aggregate, each table followed by its cursor.</summary>
    public const string Model = """
        table: public.customers
        key: id
        cursor: updated_at
        cursors:
          public.orders: updated_at
          public.subscriptions: updated_at
        properties:
          email: {column: email}
          lifetime_orders: {from: public.orders, foreign_key: customer_id, aggregate: count}
          lifetime_value: {from: public.orders, foreign_key: customer_id, aggregate: sum, column: amount, where: "status = 'paid'"}
          first_order_at: {from: public.orders, foreign_key: customer_id, aggregate: min, column: created_at}
          last_order_at: {from: public.orders, foreign_key: customer_id, aggregate: max, column: created_at}
          average_order: {from: public.orders, foreign_key: customer_id, aggregate: avg, column: amount}
          last_plan: {from: public.subscriptions, foreign_key: customer_id, aggregate: most_recent, column: plan, order_by: started_at}
          first_plan: {from: public.subscriptions, foreign_key: customer_id, aggregate: least_recent, column: plan, order_by: started_at}
        """;

    public static readonly string[] Columns = ["id", "email", "lifetime_orders", "lifetime_value", "first_order_at", "last_order_at", "average_order", "last_plan", "first_plan"];

    /// <summary>The sync around <paramref name="model"/> (the lines under <c>model:</c>), with <paramref name="extra"/> sync lines.</summary>
    public static SyncConfig Sync(string model, params string[] extra)
    {
        var indented = string.Join('\n', model.Split('\n').Select(line => "          " + line));
        var yaml = $"""
            connections:
              app:
                type: postgres
                database: app
              segment:
                type: segment
                write_key: test
            syncs:
              s:
                source:
                  connection: app
                  model:
            {indented}
                destination:
                  connection: segment
                  call: identify
                mapping:
                  user_id: id
            {string.Concat(extra.Select(line => $"    {line}\n"))}
            """;
        return SluiceConfig.Parse(yaml, "sluice.yaml", new Dictionary<string, string>()).Syncs[0];
    }

    public static ModelSource Source(NpgsqlDataSource db, string model = Model, TimeProvider? time = null, params string[] extra) =>
        new(db, new PostgresConnectionOptions { Name = "app", Database = "test" }, ModelSourceOptions.Bind(Sync(model, extra)), time ?? TimeProvider.System);

    /// <summary>What the engine hands on of a read: the source's records diffed against <paramref name="request"/>'s stored fingerprints.</summary>
    public static async Task<List<Change>> ReadAsync(ISource source, ReadRequest request)
    {
        var changes = new List<Change>();
        await foreach (var change in ChangeDiffer.ReadAsync(source, request, default))
        {
            changes.Add(change);
        }

        return changes;
    }

    /// <summary>Commits a read as the engine does: every change's fingerprint and watched values, and the position it ended at.</summary>
    public static async Task<Checkpoint> CommitAsync(ISyncLease lease, List<Change> changes)
    {
        await lease.LoadCheckpointAsync(default);
        var run = await lease.StartRunAsync(RunKind.Incremental, default);
        var checkpoint = changes[^1].Position.ToCheckpoint();
        var records = changes.Where(c => !c.IsProgress).ToList();
        await lease.CommitBatchAsync(new BatchCommit(run, 0, [], [], checkpoint, records.Count)
        {
            RecordStates = records.Select(c => c.Operation == ChangeOperation.Delete ? RecordState.Forget(c.Key) : new RecordState(c.Key, c.Fingerprint) { Values = c.Watched }).ToList(),
        }, default);
        return checkpoint;
    }

    /// <summary>The records among <paramref name="changes"/>, by key: their values by column.</summary>
    public static Dictionary<string, Dictionary<string, object?>> ByKey(IEnumerable<Change> changes, IReadOnlyList<string> columns) =>
        changes.Where(c => !c.IsProgress).ToDictionary(c => c.Key, c => columns.Select((name, i) => (name, c.Values[i])).ToDictionary(p => p.name, p => p.Item2));
}
