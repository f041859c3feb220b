using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Sluice.Bench.Harness;
using Sluice.Postgres;
using Sluice.Postgres.Destinations;

namespace Sluice.Bench.Ingest;

/// <summary>
/// PostgreSQL's own write rate for the generated events: binary COPY (<see cref="NpgsqlBinaryImporter"/>) into tables
/// built from Sluice's own DDL, so their columns, keys and indexes are exactly the ones Sluice writes to:
/// <list type="bullet">
/// <item><c>queue</c>: the state store's ingest queue (migration <c>*_ingest_queue.sql</c>, identity, xid default, both indexes),
/// one row per event with the event's JSON as the API received it — what an accept writes;</item>
/// <item><c>events table</c>: <see cref="EventsTableDdl"/> (uuid key, jsonb payload and metadata, the type/time index),
/// with the values the events-table destination writes — what landing writes.</item>
/// </list>
/// Each shape is written twice into an emptied table (TRUNCATE, CHECKPOINT before each); the faster run stands.
/// The rows are built before the clock starts, so the client's work is only the protocol's.
/// </summary>
internal static class RawWrite
{
    public const string QueueShape = "queue";
    public const string EventsShape = "events table";

    private const string Schema = "bench_raw";
    private const string Source = "web";

    public static async Task<IReadOnlyList<RawWriteRun>> MeasureAsync(NpgsqlDataSource db, string dataDirectory, IReadOnlyList<TrackBatch> batches, CancellationToken ct)
    {
        await ExecuteAsync(db, $"DROP SCHEMA IF EXISTS {Schema} CASCADE; CREATE SCHEMA {Schema}", ct);
        await ExecuteAsync(db, QueueDdl(), ct);
        await ExecuteAsync(db, EventsTableDdl.CreateTable(Schema, "events"), ct);

        var runs = new List<RawWriteRun>();
        var receivedAt = DateTime.UtcNow;
        var queueRows = batches.SelectMany(b => b.Events.Select(e => (Event: e, Payload: b.PayloadOf(e)))).ToArray();
        for (var run = 1; run <= 2; run++)
        {
            runs.Add(await CopyAsync(db, dataDirectory, QueueShape, run, "ingest_queue",
                "source, event_id, kind, type, event, received_at, payload", queueRows.Length, async importer =>
                {
                    foreach (var (e, payload) in queueRows)
                    {
                        await importer.StartRowAsync(ct);
                        await importer.WriteAsync(Source, NpgsqlDbType.Text, ct);
                        await importer.WriteAsync(e.MessageId, NpgsqlDbType.Uuid, ct);
                        await importer.WriteAsync("segment", NpgsqlDbType.Text, ct);
                        await importer.WriteAsync("track", NpgsqlDbType.Text, ct);
                        await importer.WriteAsync(e.Event, NpgsqlDbType.Text, ct);
                        await importer.WriteAsync(receivedAt, NpgsqlDbType.TimestampTz, ct);
                        await importer.WriteAsync(payload, NpgsqlDbType.Text, ct);
                    }
                }, ct));
        }

        // As the events-table destination splits a track call: properties are the payload, the rest is metadata.
        var eventRows = queueRows.Select(r =>
        {
            var call = JsonNode.Parse(r.Payload)!.AsObject();
            var properties = call["properties"]?.ToJsonString() ?? "{}";
            call.Remove("properties");
            return (r.Event, Properties: properties, Metadata: call.ToJsonString());
        }).ToArray();
        queueRows = [];
        for (var run = 1; run <= 2; run++)
        {
            runs.Add(await CopyAsync(db, dataDirectory, EventsShape, run, "events",
                "event_id, event_type, occurred_at, customer_external_id, source, payload, metadata, received_at", eventRows.Length, async importer =>
                {
                    foreach (var (e, properties, metadata) in eventRows)
                    {
                        await importer.StartRowAsync(ct);
                        await importer.WriteAsync(e.MessageId, NpgsqlDbType.Uuid, ct);
                        await importer.WriteAsync(e.Event, NpgsqlDbType.Text, ct);
                        await importer.WriteAsync(e.Timestamp, NpgsqlDbType.TimestampTz, ct);
                        await importer.WriteAsync(e.UserId, NpgsqlDbType.Text, ct);
                        await importer.WriteAsync(Source, NpgsqlDbType.Text, ct);
                        await importer.WriteAsync(properties, NpgsqlDbType.Jsonb, ct);
                        await importer.WriteAsync(metadata, NpgsqlDbType.Jsonb, ct);
                        await importer.WriteAsync(receivedAt, NpgsqlDbType.TimestampTz, ct);
                    }
                }, ct));
        }

        // The tables are not needed again; dropping them keeps the landing phases' CHECKPOINTs and vacuum small.
        await ExecuteAsync(db, $"DROP SCHEMA {Schema} CASCADE; CHECKPOINT", ct);
        return runs;
    }

    private static async Task<RawWriteRun> CopyAsync(
        NpgsqlDataSource db, string dataDirectory, string shape, int run, string table, string columns, long rows, Func<NpgsqlBinaryImporter, Task> write, CancellationToken ct)
    {
        await ExecuteAsync(db, $"TRUNCATE {Schema}.{table}; CHECKPOINT", ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        var postgresAtStart = ClusterCpu.Read(dataDirectory);
        var clientAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await using (var importer = await connection.BeginBinaryImportAsync($"COPY {Schema}.{table} ({columns}) FROM STDIN (FORMAT BINARY)", ct))
        {
            await write(importer);
            await importer.CompleteAsync(ct);
        }

        var result = new RawWriteRun(shape, run, rows, clock.Elapsed.TotalSeconds)
        {
            PostgresCpuSeconds = ClusterCpu.Read(dataDirectory) - postgresAtStart,
            ClientCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - clientAtStart).TotalSeconds,
        };
        Console.WriteLine($"raw COPY     {shape,-12} run {run}: {result.RowsPerSecond,12:N0} rows/s ({result.Seconds:F2} s); CPU per row: PostgreSQL {result.PostgresCpuMicrosecondsPerRow:F1} µs, the COPY client {result.ClientCpuMicrosecondsPerRow:F1} µs");
        return result;
    }

    /// <summary>The ingest queue's migration as Sluice applies it, in the bench's schema.</summary>
    private static string QueueDdl()
    {
        var assembly = typeof(Sluice.State.PostgresStateStore).Assembly;
        var name = assembly.GetManifestResourceNames().SingleOrDefault(n => n.EndsWith("_ingest_queue.sql", StringComparison.Ordinal))
            ?? throw new BenchFailure("Sluice.State has no *_ingest_queue.sql migration; the bench builds its raw COPY table from it");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("{schema}", Schema, StringComparison.Ordinal);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql, CancellationToken ct)
    {
        await using var command = db.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync(ct);
    }
}
