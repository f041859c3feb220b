using System.Globalization;
using Npgsql;
using Sluice.Cli.Terminal;
using Sluice.Core.State;
using Sluice.Dev.Embedded;
using Sluice.Server.Hosting;
using Spectre.Console;

namespace Sluice.Cli.Demo;

/// <summary>
/// The demo's records export (docs/records.md): a model of customers — the demo's users with their lifetime order
/// count and spend from <c>orders</c> — exported into a second database of the demo cluster, with a <c>high_value</c>
/// group, so <c>sluice demo</c> shows PostgreSQL → PostgreSQL beside PostgreSQL → Segment.
/// </summary>
internal static class DemoRecords
{
    public const string SyncName = "customers_to_warehouse";

    /// <summary>The second database: the warehouse the records land in.</summary>
    public const string Database = "sluice_demo_warehouse";

    /// <summary>A customer who has spent more than this is in the <c>high_value</c> group.</summary>
    public const int HighValueSpend = 1000;

    /// <summary>Creates the warehouse database and the export's two tables (a records export writes into tables that exist).</summary>
    public static async Task PrepareAsync(LocalCluster cluster, CancellationToken ct)
    {
        await cluster.CreateDatabaseAsync(Database, ct);
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(Database));
        await using var create = dataSource.CreateCommand("""
            CREATE TABLE IF NOT EXISTS public.customers (
                id bigint PRIMARY KEY, email text, plan text, lifetime_orders bigint, lifetime_spend numeric(14,2));
            CREATE TABLE IF NOT EXISTS public.customer_groups (
                customer_id bigint NOT NULL REFERENCES public.customers (id) ON DELETE CASCADE,
                group_name text NOT NULL,
                PRIMARY KEY (customer_id, group_name));
            """);
        await create.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The <c>warehouse</c> connection, indented as an entry under <c>connections:</c>.</summary>
    public static string Connection(LocalCluster cluster) => $"""
          warehouse:                 # a second database of the demo cluster: the records export lands here
            type: postgres
            host: {cluster.Host}
            port: {cluster.Port.ToString(CultureInfo.InvariantCulture)}
            database: {Database}
            user: {LocalCluster.SuperUser}
        """;

    /// <summary>The records sync, indented as an entry under <c>syncs:</c>.</summary>
    public static string Sync(string schedule) => $"""
          # Customers with lifetime orders and spend (a model), exported row by row into the warehouse, with a group.
          {SyncName}:
            source:
              connection: app
              model:
                table: public.users
                key: id
                cursor: updated_at
                cursors:
                  public.orders: updated_at
                properties:
                  email: {"{"}column: email{"}"}
                  plan: {"{"}column: plan{"}"}
                  lifetime_orders: {"{"}from: public.orders, foreign_key: user_id, aggregate: count{"}"}
                  lifetime_spend: {"{"}from: public.orders, foreign_key: user_id, aggregate: sum, column: amount{"}"}
            destination:
              connection: warehouse
              table: public.customers
              key: id
              mode: sync
              groups:
                table: public.customer_groups
                foreign_key: customer_id
                name_column: group_name
                define:
                  high_value: "lifetime_spend > {HighValueSpend.ToString(CultureInfo.InvariantCulture)}"
            mapping:
              id: id
              email: email
              plan: plan
              lifetime_orders: lifetime_orders
              lifetime_spend: lifetime_spend
            schedule: {schedule}
        """;

    /// <summary>What the warehouse holds now: customer rows and <c>high_value</c> members.</summary>
    public static async Task<(long Customers, long HighValue)> CountsAsync(LocalCluster cluster, CancellationToken ct)
    {
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(Database));
        await using var command = dataSource.CreateCommand(
            "SELECT (SELECT count(*) FROM public.customers), (SELECT count(*) FROM public.customer_groups WHERE group_name = 'high_value')");
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>
    /// Runs the records export once and prints what it did and what the warehouse holds; true when no record was
    /// dead-lettered and every customer has its row.
    /// </summary>
    public static async Task<bool> RunAndPrintAsync(SluiceWorkspace workspace, LocalCluster cluster, CancellationToken ct)
    {
        var result = await SyncProgress.ShowAsync(SyncName, observer => workspace.RunAsync(SyncName, RunKind.Incremental, observer, ct));
        var (customers, highValue) = await CountsAsync(cluster, ct);
        var table = new Table().Border(TableBorder.Rounded).AddColumn("records export (PostgreSQL → PostgreSQL)").AddColumn(new TableColumn("").RightAligned());
        table.AddRow("customer records written (new or changed)", result.Acknowledged.ToString("N0", null));
        table.AddRow($"customers in {Database}.public.customers", customers.ToString("N0", null));
        table.AddRow($"high_value group members (spend > {HighValueSpend:N0})", highValue.ToString("N0", null));
        table.AddRow("dead-lettered", result.Rejected.ToString("N0", null));
        table.AddRow("time", $"{result.Elapsed.TotalSeconds:0.00} s");
        AnsiConsole.Write(table);
        Output.Line($"records: {customers:N0} customers, {highValue:N0} in high_value");
        return result.Rejected == 0 && customers > 0;
    }
}
