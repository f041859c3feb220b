using Sluice.Bench.Cdc;
using Sluice.Bench.Dashboard;
using Sluice.Bench.Diff;
using Sluice.Bench.Fuzz;
using Sluice.Bench.Harness;
using Sluice.Bench.Ingest;
using Sluice.Bench.Records;
using Sluice.Bench.ReverseEtl;
using Sluice.Bench.Salesforce;

// One benchmark per subcommand; each owns its arguments.
const string Usage = """
    usage: dotnet run -c Release --project bench/Sluice.Bench -- <benchmark> [options]

    benchmarks:
      reverse-etl   PostgreSQL users table -> sluice sync -> Segment emulator
                    --users N        rows in users (default 1000000)
                    --sluice PATH    the sluice binary to drive (default: src/Sluice.Cli/bin/Release/net10.0/sluice,
                                     built with 'dotnet build -c Release src/Sluice.Cli' when missing)
                    --keep           leave the cluster and working directory in place, and print where they are
      diff          query source over users, 1% changed -> incremental sluice sync -> Segment emulator
                    --rows N         rows in users (default 1000000)
                    --changed N      rows changed between the two runs (default 1% of --rows)
                    --sluice PATH    the sluice binary to drive (default: the build ./sluice makes)
                    --keep           leave the cluster and working directory in place
      ingest        Segment batches over HTTP -> sluice run (ingest API) -> events table / warehouse schema
                    --events N       events per saturation phase (default 200000)
                    --clients N      concurrent HTTP clients (default 8)
                    --batch N        events per POST /v1/batch (default 100)
                    --rate N         events/s of the open-loop latency phase (default 2000)
                    --latency-seconds N   length of the latency phase (default 20)
                    --validate       instead: forward to the Segment emulator as is, then through validate:
                                     rules against two reference tables (S5), and print both rates
                    --accept-only    only the raw COPY and the accept phase, then the latency phase in that process
                    --sluice PATH, --keep  as above
      cdc           UPDATEs on users -> logical replication -> sluice run (CDC sync) -> Segment emulator
                    --updates N      rows updated by the workload (default 1000000)
                    --users N        rows in users (default 100000; updates cycle over them)
                    --per-transaction N   rows per UPDATE transaction in the workload (default 100)
                    --rate N         changes/s of the open-loop latency phase (default 1000)
                    --latency-seconds N   length of the latency phase (default 20)
                    --sluice PATH, --keep  as above
      records       customers + orders -> model (2 aggregations) -> records export + group into a second database,
                    next to PostgreSQL's binary COPY of the same rows; first sync, 1,000 changed, 10,000 new orders
                    --customers N    rows in customers (default 100000)
                    --orders N       rows in orders (default 10 x --customers)
                    --changed N      customers changed before the second run (default 1000)
                    --new-orders N   orders inserted before the third run (default 10000)
                    --sluice PATH, --keep  as above
      fuzz          hostile Segment calls -> sluice run (ingest API) -> events table and warehouse; checks, not speed:
                    no 5xx, every accepted event landed or dead-lettered, a canary lands (the suite runs 250)
                    --requests N     requests to send (default 20000)
                    --seed N         the generator's seed (default 1; the same seed sends the same requests)
                    --sluice PATH, --keep  as above
      salesforce    PostgreSQL accounts -> Account upsert into the Salesforce emulator: sluice over Bulk API 2.0, sluice over
                    sObject Collections, jsforce's own bulk2 upsert of the same rows from a CSV; then an incremental sync
                    --rows N         rows in accounts (default 100000)
                    --changed N      rows changed before the incremental sync (default 1000)
                    --sluice PATH, --keep  as above
      dashboard     dashboard page server times over a state store of 100 syncs and 1,000,000 ledger rows (target < 200 ms)
                    --syncs N        syncs in the config and the state store (default 100)
                    --ledger-rows N  rows in the send ledger and in the record ledger each (default 1000000)
                    --requests N     requests per page measured, after 3 warm-up requests (default 30)
                    --keep           as above
      salesforce-source  Opportunities in the Salesforce emulator -> PostgreSQL: sluice's initial load (Bulk API 2.0 query)
                    next to jsforce's own bulk2 query piped into COPY; then change latency through change events
                    --rows N         Opportunities in the emulator (default 200000)
                    --changes N      changes made while the streaming sync runs (default 3000)
                    --rate N         changes per second (default 100)
                    --sluice PATH, --keep  as above
    """;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

try
{
    return args.FirstOrDefault() switch
    {
        "reverse-etl" => await ReverseEtlBenchmark.RunAsync(ReverseEtlOptions.Parse(args[1..]), cancellation.Token),
        "diff" => await DiffBenchmark.RunAsync(DiffOptions.Parse(args[1..]), cancellation.Token),
        "ingest" => await SteadyClientProcess.RunAsync(args, () => IngestBenchmark.RunAsync(IngestOptions.Parse(args[1..]), cancellation.Token), cancellation.Token),
        "cdc" => await CdcBenchmark.RunAsync(CdcOptions.Parse(args[1..]), cancellation.Token),
        "salesforce" => await SalesforceBenchmark.RunAsync(SalesforceOptions.Parse(args[1..]), cancellation.Token),
        "salesforce-source" => await Sluice.Bench.SalesforceSource.SalesforceSourceBenchmark.RunAsync(Sluice.Bench.SalesforceSource.SalesforceSourceBenchOptions.Parse(args[1..]), cancellation.Token),
        "records" => await RecordsBenchmark.RunAsync(RecordsOptions.Parse(args[1..]), cancellation.Token),
        "dashboard" => await DashboardBenchmark.RunAsync(DashboardOptions.Parse(args[1..]), cancellation.Token),
        "fuzz" => await FuzzBenchmark.RunAsync(FuzzOptions.Parse(args[1..]), cancellation.Token),
        "-h" or "--help" or "help" => Help(0),
        _ => Help(64),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return Help(64);
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}

int Help(int exitCode)
{
    (exitCode == 0 ? Console.Out : Console.Error).WriteLine(Usage);
    return exitCode;
}
