using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Sluice.Core.State;
using Sluice.Server.Hosting;
using Sluice.State.Ingest;
using Sluice.Testing;

namespace Sluice.EndToEnd.Gateway;

/// <summary>
/// S5's setting: reference tables <c>public.users</c> and <c>public.products</c> in the test database, an ingest
/// source <c>web</c>, and a sync <c>web_to_segment</c> forwarding it to the emulator through <c>validate:</c> rules.
/// Events go straight into the ingest queue, as the API would store them; the sync runs in this process, so that the
/// reference lookups it sends to PostgreSQL can be counted (Npgsql's own activity per command).
/// </summary>
internal static class GatewayBed
{
    public const string SyncName = "web_to_segment";

    /// <summary>The reference tables of docs/segment.md's S5 example, as the page shows them.</summary>
    public static string Setup => DocsBlock("sql", "CREATE TABLE");

    /// <summary>
    /// The config: the bed's connections, the ingest source <c>web</c>, and docs/segment.md's S5 sync verbatim; or,
    /// with <paramref name="validate"/>, the same sync with those rules instead.
    /// </summary>
    public static string Config(TestBedEndpoints e, string? validate = null) => $"""
        {e.Connections()}
          web:
            type: ingest
            write_key: gateway-web-key-0123456789

        """ + (validate is null ? DocsBlock("yaml", "syncs:") : $$"""
        syncs:
          {{SyncName}}:
            source: {connection: web}
            destination: {connection: segment, forward: true}
        {{validate}}
        """);

    private static string DocsBlock(string language, string start) => SegmentDocs.Block("S5", language, start);

    /// <summary>A track as the ingest API stores it.</summary>
    public static IngestEvent Track(string messageId, string userId, string @event, string? productId)
    {
        var payload = new Dictionary<string, object?>
        {
            ["type"] = "track",
            ["messageId"] = messageId,
            ["userId"] = userId,
            ["event"] = @event,
            ["properties"] = productId is null ? new Dictionary<string, object?>() : new Dictionary<string, object?> { ["product_id"] = productId },
            ["context"] = new { library = new { name = "gateway-test", version = "1" } },
            ["originalTimestamp"] = "2026-05-01T12:00:00.000Z",
            ["sentAt"] = "2026-05-01T12:00:01.000Z",
            ["receivedAt"] = "2026-05-01T12:00:02.000Z",
            ["timestamp"] = "2026-05-01T12:00:01.000Z",
        };
        return new IngestEvent("web", Guid.NewGuid(), IngestEventKind.Segment, "track", @event, DateTimeOffset.UtcNow, JsonSerializer.SerializeToUtf8Bytes(payload));
    }

    public static async Task EnqueueAsync(SluiceWorkspace workspace, params IngestEvent[] events)
    {
        var queue = await workspace.IngestQueueAsync(CancellationToken.None);
        await queue.EnqueueAsync(events, CancellationToken.None);
    }

    /// <summary>Runs the sync in this process until <paramref name="until"/> holds, then stops it.</summary>
    public static async Task RunUntilAsync(SluiceWorkspace workspace, Func<Task<bool>> until, string what)
    {
        using var stop = new CancellationTokenSource();
        var run = workspace.RunAsync(SyncName, RunKind.Incremental, null, stop.Token);
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                if (run.IsCompleted)
                {
                    await run; // a failed run fails the test with its own error
                }

                return await until();
            }, what);
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
                // stopped as asked
            }
        }
    }

    public static async Task<List<(long Id, string MessageId, string Reason, bool Pending)>> QuarantineAsync(TestBed bed)
    {
        await using var command = bed.Db.CreateCommand(
            "SELECT id, message_id, reason, replayed_at IS NULL FROM sluice.dead_letters WHERE kind = 'quarantined' ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(long, string, string, bool)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3)));
        }

        return rows;
    }

    public static async Task<long> BatchesAsync(TestBed bed) =>
        (long)(await bed.ScalarAsync($"SELECT count(*) FROM sluice.run_batches b JOIN sluice.runs r ON r.id = b.run_id JOIN sluice.syncs s ON s.id = r.sync_id WHERE s.name = '{SyncName}'"))!;
}

/// <summary>Counts the commands this process sends to PostgreSQL whose text names a table, from Npgsql's own activities.</summary>
internal sealed class PostgresCommandCounter : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly List<string> _statements = [];

    public PostgresCommandCounter()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("Npgsql", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                var text = activity.GetTagItem("db.query.text") as string ?? activity.GetTagItem("db.statement") as string;
                if (text is not null)
                {
                    lock (_statements)
                    {
                        _statements.Add(text);
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Commands whose text contains <paramref name="fragment"/> (e.g. a quoted table name).</summary>
    public int Count(string fragment)
    {
        lock (_statements)
        {
            return _statements.Count(s => s.Contains(fragment, StringComparison.Ordinal));
        }
    }

    /// <summary>Every command seen, for a failure message.</summary>
    public string Seen()
    {
        lock (_statements)
        {
            return new StringBuilder().AppendJoin('\n', _statements.Select(s => s.Length > 200 ? s[..200] : s)).ToString();
        }
    }

    public void Dispose() => _listener.Dispose();
}
