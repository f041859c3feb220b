using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Sluice.EndToEnd.Ingest;

/// <summary>
/// The real <c>sluice run</c> with one ingest source, <c>web</c>, and the two syncs a user writes to keep what it
/// receives: Segment's warehouse layout in schema <c>web</c>, and the events table <c>public.events</c> (created on
/// first write). Both land in the test's own database, which also holds the state (and so the ingest queue).
/// </summary>
internal sealed class IngestLandingBed : IAsyncDisposable
{
    public const string WriteKey = "e2e-web-write-key-0123456789";
    private static readonly TimeSpan LandingTimeout = TimeSpan.FromSeconds(60);

    private readonly TestBed _bed;
    private readonly Process _server;
    private readonly StringBuilder _output;

    private IngestLandingBed(TestBed bed, Process server, StringBuilder output, string url)
    {
        _bed = bed;
        _server = server;
        _output = output;
        Url = url;
    }

    /// <summary>The ingest API's base address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url { get; }

    /// <summary>The test's database: state, ingest queue and both landing targets.</summary>
    public NpgsqlDataSource Db => _bed.Db;

    /// <summary>What <c>sluice run</c> has printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<IngestLandingBed> StartAsync(string name)
    {
        var bed = await TestBed.CreateAsync(name, "SELECT 1", e => $"""
            connections:
              db:
                type: postgres
                host: {e.Host}
                port: {e.Port}
                database: {e.Database}
                user: {e.User}
              web:
                type: ingest
                write_key: {WriteKey}
            state:
              connection: db
            syncs:
              web_warehouse:
                source:
                  connection: web
                destination:
                  connection: db
                  layout: warehouse
                  schema: web
              web_events:
                source:
                  connection: web
                destination:
                  connection: db
                  table: public.events
                  create_table: true
            """);
        var url = $"http://127.0.0.1:{FreePort()}";
        var server = bed.StartSluice("run", "-c", bed.ConfigPath, "--listen", url);
        var output = new StringBuilder();
        DataReceivedEventHandler append = (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        };
        server.OutputDataReceived += append;
        server.ErrorDataReceived += append;
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        var landing = new IngestLandingBed(bed, server, output, url);
        try
        {
            await landing.WaitForHealthAsync();
            return landing;
        }
        catch
        {
            await landing.DisposeAsync();
            throw;
        }
    }

    /// <summary>The ingest queue's events in the order they were stored.</summary>
    public async Task<IReadOnlyList<LandedRow>> QueuedAsync() =>
        await RowsAsync("sluice.ingest_queue", "SELECT event_id, source, kind, type, event FROM sluice.ingest_queue ORDER BY xid, position");

    /// <summary>
    /// Polls <paramref name="table"/> until it holds <paramref name="count"/> rows (the syncs run continuously, each
    /// on its own schedule), then returns all its rows. A table that does not exist yet counts as empty.
    /// </summary>
    public async Task<IReadOnlyList<LandedRow>> WaitForRowsAsync(string table, int count)
    {
        var clock = Stopwatch.StartNew();
        var sql = $"SELECT * FROM {table}";
        while (true)
        {
            IReadOnlyList<LandedRow> rows = [];
            try
            {
                rows = await RowsAsync(table, sql);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
            {
                // not created yet: the destination creates it with its first batch
            }

            if (rows.Count >= count || clock.Elapsed > LandingTimeout)
            {
                Assert.True(rows.Count == count,
                    $"{table} holds {rows.Count} rows after {clock.Elapsed.TotalSeconds:0} s, expected {count}.\n"
                    + $"Rows: {string.Join("\n  ", rows)}\nIngest queue: {string.Join("\n  ", await QueuedAsync())}\nsluice run printed:\n{Output}");
                return rows;
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Rows of <paramref name="table"/> that the warehouse set aside as not fitting (none is expected).</summary>
    public async Task<IReadOnlyList<LandedRow>> DiscardsAsync(string table)
    {
        try
        {
            return await RowsAsync(table, $"SELECT * FROM {table}");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return [];
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_server.HasExited)
            {
                _server.Kill(entireProcessTree: true);
            }

            await _server.WaitForExitAsync();
        }
        finally
        {
            _server.Dispose();
            await _bed.DisposeAsync();
        }
    }

    private async Task<IReadOnlyList<LandedRow>> RowsAsync(string table, string sql)
    {
        await using var command = _bed.Db.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<LandedRow>();
        while (await reader.ReadAsync())
        {
            var cells = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                cells[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(new LandedRow(table, cells));
        }

        return rows;
    }

    private async Task WaitForHealthAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(_server.HasExited, "sluice run exited early:\n" + Output);
            try
            {
                if ((await http.GetAsync(Url + "/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet, or a probe that timed out on a loaded machine: ask again until the deadline
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "sluice run did not start listening within 60 s:\n" + Output);
            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
