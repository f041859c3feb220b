using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Postgres.Ingest;
using Sluice.Postgres.Ingest.Http;
using Sluice.Postgres.State;
using Sluice.Server.Ingest;
using Sluice.Testing;

namespace Sluice.EndToEnd.Ingest;

/// <summary>
/// The ingest API in this process, on a real Kestrel (a free port), writing to a real ingest queue in a fresh
/// database. Two sources: <c>web</c> (key <see cref="WebKey"/>) and <c>app</c> (key <see cref="AppKey"/>).
/// </summary>
internal sealed class IngestApiHarness : IAsyncDisposable
{
    public const string WebKey = "web-write-key";
    public const string AppKey = "app-write-key";
    private const string Schema = "sluice";

    private readonly WebApplication _app;
    private readonly IngestQueue _queue;
    private readonly FakeLogger _log;

    private IngestApiHarness(WebApplication app, IngestQueue queue, NpgsqlDataSource db, FakeTimeProvider time, FakeLogger log)
    {
        _app = app;
        _log = log;
        _queue = queue;
        Db = db;
        Time = time;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
    }

    public NpgsqlDataSource Db { get; }

    /// <summary>The API's clock: <c>receivedAt</c> is whatever this says.</summary>
    public FakeTimeProvider Time { get; }

    public HttpClient Http { get; }

    /// <summary>What the API reported (queue failures).</summary>
    public IReadOnlyList<string> Log => [.. _log.Collector.GetSnapshot().Select(r => r.Message)];

    /// <param name="queueFails">When set, opening the queue throws this (the state database is down).</param>
    public static async Task<IngestApiHarness> StartAsync(string name, Exception? queueFails = null)
    {
        var db = NpgsqlDataSource.Create(await TestPostgres.CreateDatabaseAsync(name));
        await PostgresStateStore.OpenAsync(db, Schema);
        var queue = new IngestQueue(db, Schema);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var log = new FakeLogger();
        app.MapHttpRoutes(IngestApi.Routes(new IngestApiOptions
        {
            Sources =
            [
                new IngestConnectionOptions { Name = "web", WriteKey = new Secret(WebKey) },
                new IngestConnectionOptions { Name = "app", WriteKey = new Secret(AppKey) },
            ],
            Queue = queueFails is null ? _ => Task.FromResult<IIngestQueue>(queue) : _ => Task.FromException<IIngestQueue>(queueFails),
            Time = time,
            Log = log,
        }));
        await app.StartAsync();
        return new IngestApiHarness(app, queue, db, time, log);
    }

    public static AuthenticationHeaderValue Basic(string writeKey) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));

    /// <summary>POSTs <paramref name="json"/> with the web key by Basic auth (unless <paramref name="writeKey"/> says otherwise; null: no header).</summary>
    public async Task<Answer> PostAsync(string path, string json, string? writeKey = WebKey, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, contentType) };
        if (writeKey is not null)
        {
            request.Headers.Authorization = Basic(writeKey);
        }

        return await SendAsync(request);
    }

    /// <summary>
    /// POSTs <paramref name="json"/> with every <c>&lt;FF&gt;</c> in it replaced by the byte 0xFF, which is never valid UTF-8
    /// (a .NET string cannot carry invalid UTF-8, so the test writes JSON text and marks where the bad bytes go).
    /// </summary>
    public async Task<Answer> PostInvalidUtf8Async(string path, string json, string? writeKey = WebKey)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var output = new List<byte>(bytes.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            var marker = bytes.AsSpan(i).StartsWith("<FF>"u8);
            output.Add(marker ? (byte)0xFF : bytes[i]);
            i += marker ? 3 : 0;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent([.. output]) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (writeKey is not null)
        {
            request.Headers.Authorization = Basic(writeKey);
        }

        return await SendAsync(request);
    }

    public async Task<Answer> SendAsync(HttpRequestMessage request)
    {
        var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return new Answer((int)response.StatusCode, body, response);
    }

    /// <summary>The queue's rows, in commit order.</summary>
    public async Task<List<Row>> RowsAsync()
    {
        await using var command = Db.CreateCommand($"SELECT event_id, source, kind, type, event, received_at, payload FROM {Schema}.ingest_queue ORDER BY xid, position");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Row>();
        while (await reader.ReadAsync())
        {
            rows.Add(new Row(
                reader.GetGuid(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5),
                JsonDocument.Parse(PayloadText(reader.GetValue(6))).RootElement));
        }

        return rows;
    }

    /// <summary>The payload column's UTF-8 JSON, whether the queue keeps it as bytea or as text.</summary>
    public static string PayloadText(object value) => value as string ?? Encoding.UTF8.GetString((byte[])value);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _queue.DisposeAsync();
        await Db.DisposeAsync();
    }

    internal sealed record Answer(int Status, string Body, HttpResponseMessage Response)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;

        public string? Message => Json.GetProperty("message").GetString();
    }

    internal sealed record Row(Guid EventId, string Source, string Kind, string Type, string? Event, DateTimeOffset ReceivedAt, JsonElement Payload)
    {
        public string? Field(string name) => Payload.TryGetProperty(name, out var value) ? value.ToString() : null;
    }
}
