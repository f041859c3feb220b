using System.Diagnostics;
using Npgsql;
using Sluice.Bench.Diff;
using Sluice.Bench.Harness;

namespace Sluice.Bench.Records;

/// <summary>
/// Customers and orders → a model (five properties, two of them aggregations over orders) → a records export with a
/// <c>high_value</c> group into a second database, on a fresh durable local cluster: the first full sync, an
/// incremental run after customers changed and one after new orders, each timed from process start to exit and
/// checked row by row against the model's result; next to PostgreSQL's own binary COPY of the same rows.
/// </summary>
internal static class RecordsBenchmark
{
    private const string SyncName = "customers_export";

    private static readonly TimeSpan RssPollInterval = TimeSpan.FromMilliseconds(50);

    public static async Task<int> RunAsync(RecordsOptions options, CancellationToken ct)
    {
        await using var session = await BenchSession.StartAsync("records", options.SluiceBinary, options.Keep, ct);
        var result = new RecordsResult
        {
            StartedAt = session.StartedAt,
            Customers = options.Customers,
            Orders = options.Orders,
            Changed = options.Changed,
            NewOrders = options.NewOrders,
            SluiceBinary = session.Sluice,
            Machine = await MachineInfo.CollectAsync(session.Db, ct),
        };

        await session.Cluster.CreateDatabaseAsync("app", ct);
        await session.Cluster.CreateDatabaseAsync("warehouse", ct);
        await using var app = NpgsqlDataSource.Create(session.Cluster.ConnectionString("app"));
        await using var warehouse = NpgsqlDataSource.Create(session.Cluster.ConnectionString("warehouse"));
        Console.WriteLine($"load         {options.Customers:N0} customers, {options.Orders:N0} orders …");
        result = result with { LoadSeconds = await RecordsData.LoadAsync(app, options.Customers, options.Orders, ct) };
        Console.WriteLine($"load         done in {result.LoadSeconds:F1} s (indexes, VACUUM (ANALYZE) and CHECKPOINT included)");
        await RecordsData.CreateWarehouseAsync(warehouse, ct);

        try
        {
            result = await MeasureCopyAsync(session, app, warehouse, result, ct);
            result = await MeasureRunsAsync(session, app, warehouse, result, ct);
        }
        catch (BenchFailure e)
        {
            result = result with { Error = e.Message };
        }

        RecordsReport.Print(result);
        Console.WriteLine($"results      {await ResultsFile.WriteAsync(session.Stem, result, ct)}");
        return result.Error is not null || result.Correct is false ? 1
            : result.FirstTargetMet is false || result.CopyRatioTargetMet is false || result.ChangedTargetMet is false || result.PeakRssTargetMet is false ? 2
            : 0;
    }

    /// <summary>Twice: the first run reads cold pages, the second warm ones, as the sync that follows does.</summary>
    private static async Task<RecordsResult> MeasureCopyAsync(BenchSession session, NpgsqlDataSource app, NpgsqlDataSource warehouse, RecordsResult result, CancellationToken ct)
    {
        var runs = new List<RawCopyRun>();
        var cpu = new List<double?>();
        for (var run = 1; run <= 2; run++)
        {
            var postgresAtStart = ClusterCpu.Read(session.Cluster.DataDirectory);
            var seconds = await RecordsData.CopyModelAsync(app, warehouse, "public.customers_copy", ct);
            var postgres = ClusterCpu.Read(session.Cluster.DataDirectory) - postgresAtStart;
            var rows = await RecordsData.ScalarAsync(warehouse, "SELECT count(*) FROM public.customers_copy", ct);
            if (rows != result.Customers)
            {
                throw new BenchFailure($"COPY of the model's result wrote {rows:N0} rows, expected {result.Customers:N0}");
            }

            runs.Add(new RawCopyRun("binary, app → warehouse", run, rows, 0, seconds));
            cpu.Add(postgres);
            Console.WriteLine($"COPY         run {run}: {rows / seconds,12:N0} rows/s ({seconds:F2} s, PostgreSQL {postgres:F2} s CPU)");
        }

        var fastest = runs.MaxBy(r => r.RowsPerSecond)!;
        return result with { CopyRuns = runs, Copy = fastest, CopyPostgresCpuSeconds = cpu[runs.IndexOf(fastest)] };
    }

    private static async Task<RecordsResult> MeasureRunsAsync(BenchSession session, NpgsqlDataSource app, NpgsqlDataSource warehouse, RecordsResult result, CancellationToken ct)
    {
        var configPath = Path.Combine(session.Work, "sluice.yaml");
        await File.WriteAllTextAsync(configPath, Config(session.Cluster.Port), ct);
        var first = await RunAsync(session, app, warehouse, "first", ["sync", SyncName, "--full", "-c", configPath], result.Customers, ct);
        result = result with { First = first };

        var changed = await RecordsData.ChangeCustomersAsync(app, result.Customers, result.Changed, ct);
        await RecordsData.ExecuteAsync(app, "CHECKPOINT", ct);
        Console.WriteLine($"change       {changed:N0} customers' plan");
        result = result with { ChangedCustomers = await RunAsync(session, app, warehouse, "changed", ["sync", SyncName, "-c", configPath], changed, ct) };

        var touched = await RecordsData.AddOrdersAsync(app, result.Customers, result.NewOrders, ct);
        await RecordsData.ExecuteAsync(app, "CHECKPOINT", ct);
        Console.WriteLine($"insert       {result.NewOrders:N0} orders of {touched:N0} customers");
        return result with { NewOrdersRun = await RunAsync(session, app, warehouse, "new-orders", ["sync", SyncName, "-c", configPath], touched, ct) };
    }

    /// <summary>Runs <c>sluice</c> to its exit, then compares the destination with the model's result.</summary>
    private static async Task<RecordsRun> RunAsync(BenchSession session, NpgsqlDataSource app, NpgsqlDataSource warehouse, string name, string[] args, long records, CancellationToken ct)
    {
        var command = "sluice " + string.Join(' ', args);
        var logPath = $"{session.Stem}.{name}.log";
        Console.WriteLine($"run          {command}");
        var postgresAtStart = ClusterCpu.Read(session.Cluster.DataDirectory);
        var clock = Stopwatch.StartNew();
        await using var child = ChildProcess.Start(session.Sluice, args, session.Work, logPath);
        await using var sampler = ProcessSampler.Start(child.Id, RssPollInterval);
        await child.WaitForExitAsync(ct);
        var wall = clock.Elapsed.TotalSeconds;
        await sampler.StopAsync();
        var postgres = ClusterCpu.Read(session.Cluster.DataDirectory) - postgresAtStart;
        if (child.ExitCode != 0)
        {
            throw new BenchFailure($"{command} exited with {child.ExitCode} after {wall:F1} s; last lines of {logPath}:\n{child.Tail()}");
        }

        var (seconds, read, acknowledged, summary) = ChildRun.ParseSync(child.Tail(200));
        var (rows, groups) = await RecordsData.MismatchesAsync(app, warehouse, ct);
        var run = new RecordsRun(name, command, records, wall, seconds, sampler.CpuTime.TotalSeconds, sampler.PeakRssBytes / 1048576.0,
            read, acknowledged, rows, groups, summary)
        { PostgresCpuSeconds = postgres };
        Console.WriteLine($"{name,-12} {wall:F2} s wall, {seconds:F2} s run, {run.CpuSeconds:F2} s CPU, PostgreSQL {postgres:F2} s CPU: {read:N0} read, {acknowledged:N0} acknowledged; " +
            $"{(run.Correct ? "destination equals the model" : $"MISMATCH: {rows:N0} rows, {groups:N0} memberships")}");
        if (acknowledged != records)
        {
            throw new BenchFailure($"{name}: {acknowledged:N0} records acknowledged, expected {records:N0}; see {logPath}");
        }

        return run;
    }

    /// <summary>The config the bench hands to <c>sluice</c>: state in the warehouse, beside the export's tables.</summary>
    private static string Config(int port) => $$"""
        # Written by bench/Sluice.Bench (records) for one run.
        connections:
          app: { type: postgres, host: 127.0.0.1, port: {{port}}, database: app, user: postgres }
          warehouse: { type: postgres, host: 127.0.0.1, port: {{port}}, database: warehouse, user: postgres }
        state: { connection: warehouse }
        syncs:
          {{SyncName}}:
            source:
              connection: app
              model:
                table: public.customers
                key: id
                cursor: updated_at
                cursors: { public.orders: updated_at }
                properties:
                  email: { column: email }
                  plan: { column: plan }
                  lifetime_orders: { from: public.orders, foreign_key: customer_id, aggregate: count }
                  lifetime_value: { from: public.orders, foreign_key: customer_id, aggregate: sum, column: amount }
                  last_order_at: { from: public.orders, foreign_key: customer_id, aggregate: max, column: created_at }
            destination:
              connection: warehouse
              table: public.customers
              key: id
              mode: sync
              groups:
                table: public.customer_groups
                foreign_key: customer_id
                name_column: group_name
                define: { high_value: "{{RecordsData.HighValue}}" }
            mapping: { id: id, email: email, plan: plan, lifetime_orders: lifetime_orders, lifetime_value: lifetime_value, last_order_at: last_order_at }

        """;
}
