using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sluice.Emulators.Segment;
using Sluice.Testing;

namespace Sluice.EndToEnd.Ingest;

/// <summary>
/// S6 through the real <c>sluice run</c>: the Segment emulator pushes Engage deliveries (signed with the shared secret)
/// to a <c>type: engage</c> webhook, and a sync upserts them into the application's tables. The config is the one in
/// docs/segment.md (S6).
/// </summary>
public sealed class EngageWebhookTests
{
    private const string Secret = "e2e-engage-shared-secret";
    private const string Path = "/engage/production";
    private static readonly DateTimeOffset T1 = DateTimeOffset.UtcNow.AddMinutes(-30);

    [Fact]
    public async Task Audiences_and_computed_traits_land_and_a_late_exit_never_overrides_a_newer_enter()
    {
        await using var bed = await EngageBed.StartAsync(nameof(Audiences_and_computed_traits_land_and_a_late_exit_never_overrides_a_newer_enter));
        JsonElement Number(int n) => JsonDocument.Parse(n.ToString(System.Globalization.CultureInfo.InvariantCulture)).RootElement;

        // First what Engage computed last, landed and applied; then, in later batches, what it computed earlier.
        var first = await bed.Emulator.PushEngageAsync(
        [
            new EngagePush { Kind = "entered", UserId = "u1", Key = "vip", Timestamp = T1.AddMinutes(2) },
            new EngagePush { Kind = "trait", UserId = "u1", Key = "ltv", Value = Number(450), Timestamp = T1.AddMinutes(2) },
            new EngagePush { Kind = "entered", UserId = "u2", Key = "vip", Timestamp = T1, As = "track", Times = 2 },  // a retried delivery
            new EngagePush { Kind = "entered", UserId = "u1", Key = "vip", Timestamp = T1.AddMinutes(2) },              // a duplicate
        ]);
        await Eventually.HoldsAsync(async () => await bed.ScalarAsync("SELECT count(*) FROM public.audience_members WHERE member") is 2L
            && await bed.ScalarAsync("SELECT count(*) FROM public.customer_traits") is 1L, "the first deliveries land", state: () => bed.Output);
        var late = await bed.Emulator.PushEngageAsync(
        [
            new EngagePush { Kind = "exited", UserId = "u1", Key = "vip", Timestamp = T1.AddMinutes(1), As = "track" }, // computed before the enter
            new EngagePush { Kind = "trait", UserId = "u1", Key = "ltv", Value = Number(120), Timestamp = T1, As = "track" }, // computed before the 450
        ]);
        var last = await bed.Emulator.PushEngageAsync([new EngagePush { Kind = "exited", UserId = "u2", Key = "vip", Timestamp = T1.AddMinutes(3) }]);

        Assert.All(first.Concat(late).Concat(last), s => Assert.Equal(200, s));
        Assert.Equal(8, first.Count + late.Count + last.Count);

        // The queue is applied in order, so once u2's exit (pushed last) shows, every earlier delivery has been applied.
        await Eventually.HoldsAsync(async () => await bed.ScalarAsync("SELECT member FROM public.audience_members WHERE user_id = 'u2'") is false,
            "u2's exit lands", state: () => bed.Output);

        Assert.Equal(
            ["u1 vip True engage-entered-u1-vip-" + T1.AddMinutes(2).UtcTicks, "u2 vip False engage-exited-u2-vip-" + T1.AddMinutes(3).UtcTicks],
            await bed.RowsAsync("SELECT user_id || ' ' || audience || ' ' || member::text || ' ' || message_id FROM public.audience_members ORDER BY user_id"),
            StringComparer.OrdinalIgnoreCase);
        Assert.Equal(["u1 ltv 450 spa_emulator"], await bed.RowsAsync("SELECT user_id || ' ' || trait || ' ' || value::text || ' ' || space_id FROM public.customer_traits"));
        Assert.Equal(T1.AddMinutes(2).UtcDateTime, (DateTime)(await bed.ScalarAsync("SELECT updated_at FROM public.audience_members WHERE user_id = 'u1'"))!, TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task A_delivery_unsigned_badly_signed_or_stale_gets_401_with_a_reason_and_changes_nothing()
    {
        await using var bed = await EngageBed.StartAsync(nameof(A_delivery_unsigned_badly_signed_or_stale_gets_401_with_a_reason_and_changes_nothing));
        using var http = new HttpClient { BaseAddress = new Uri(bed.Url) };
        var fresh = Delivery("m1", DateTimeOffset.UtcNow);
        var stale = Delivery("m2", DateTimeOffset.UtcNow.AddDays(-2));

        var unsigned = await PostAsync(http, fresh, signature: null);
        var wrong = await PostAsync(http, fresh, signature: Sign(fresh, "not-the-secret"));
        var garbled = await PostAsync(http, fresh, signature: "zz");
        var tampered = await PostAsync(http, fresh.Replace("true", "false", StringComparison.Ordinal), signature: Sign(fresh, Secret));
        var old = await PostAsync(http, stale, signature: Sign(stale, Secret));

        Assert.Equal((HttpStatusCode.Unauthorized, "unsigned request: the X-Signature header (hex HMAC-SHA1 of the body with the shared secret) is missing"), unsigned);
        Assert.Equal((HttpStatusCode.Unauthorized, "the X-Signature header does not match the body signed with the shared secret"), wrong);
        Assert.Equal(wrong, garbled);
        Assert.Equal(wrong, tampered);
        Assert.Equal(HttpStatusCode.Unauthorized, old.Status);
        Assert.StartsWith("stale delivery: sent at ", old.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, bed.Output, StringComparison.Ordinal);

        // Nothing was queued; a well-signed delivery is, and lands alone.
        Assert.Equal(0L, await bed.ScalarAsync("SELECT count(*) FROM sluice.ingest_queue"));
        Assert.Equal((HttpStatusCode.OK, ""), (await PostAsync(http, fresh, Sign(fresh, Secret))) with { Message = "" });
        await Eventually.HoldsAsync(async () => await bed.ScalarAsync("SELECT count(*) FROM public.audience_members") is 1L, "the signed delivery lands", state: () => bed.Output);
        Assert.Equal(1L, await bed.ScalarAsync("SELECT count(*) FROM sluice.ingest_queue"));
    }

    private static string Delivery(string messageId, DateTimeOffset at) =>
        "{\"type\":\"identify\",\"messageId\":\"" + messageId + "\",\"userId\":\"u9\",\"timestamp\":\"" + at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture)
        + "\",\"traits\":{\"churn_risk\":true},\"context\":{\"personas\":{\"computation_class\":\"audience\",\"computation_key\":\"churn_risk\",\"space_id\":\"spa_1\"}}}";

    private static string Sign(string body, string secret)
    {
#pragma warning disable CA5350 // Segment's algorithm.
        return Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));
#pragma warning restore CA5350
    }

    private static async Task<(HttpStatusCode Status, string Message)> PostAsync(HttpClient http, string body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null)
        {
            request.Headers.Add("X-Signature", signature);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var message = JsonDocument.Parse(text).RootElement.TryGetProperty("message", out var m) ? m.GetString()! : "";
        return (response.StatusCode, message);
    }

    /// <summary>The real <c>sluice run</c> serving the Engage webhook of docs/segment.md's S6 example, and an emulator pushing to it.</summary>
    private sealed class EngageBed : IAsyncDisposable
    {
        private readonly TestBed _bed;
        private readonly Process _server;
        private readonly StringBuilder _output = new();

        private EngageBed(TestBed bed, Process server, string url)
        {
            _bed = bed;
            _server = server;
            Url = url;
            DataReceivedEventHandler append = (_, e) =>
            {
                lock (_output)
                {
                    _output.AppendLine(e.Data);
                }
            };
            server.OutputDataReceived += append;
            server.ErrorDataReceived += append;
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();
        }

        public string Url { get; }

        public SegmentEmulator Emulator => _bed.Emulator;

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

        public static async Task<EngageBed> StartAsync(string name)
        {
            Environment.SetEnvironmentVariable("ENGAGE_SHARED_SECRET", Secret);
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
            listener.Stop();
            // docs/segment.md's S6 config verbatim, its app connection pointed at the test's database.
            var bed = await TestBed.CreateAsync(name, "SELECT 1", e => SegmentDocs.Block("S6", "yaml", "connections:").Replace(
                "    host: localhost\n    database: app\n    user: sluice\n",
                $"    host: {e.Host}\n    port: {e.Port}\n    database: {e.Database}\n    user: {e.User}\n",
                StringComparison.Ordinal), new SegmentEmulatorOptions { Port = 0, EngageWebhook = new Uri(url + Path), EngageSecret = Secret });
            var engage = new EngageBed(bed, bed.StartSluice("run", "-c", bed.ConfigPath, "--listen", url), url);
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
                await Eventually.HoldsAsync(async () =>
                {
                    Assert.False(engage._server.HasExited, "sluice run exited early:\n" + engage.Output);
                    try
                    {
                        return (await http.GetAsync(url + "/healthz")).IsSuccessStatusCode;
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        return false;
                    }
                }, "sluice run listens", state: () => engage.Output);
                return engage;
            }
            catch
            {
                await engage.DisposeAsync();
                throw;
            }
        }

        /// <summary>The value, or null while the destination has not created the table yet.</summary>
        public async Task<object?> ScalarAsync(string sql)
        {
            try
            {
                return await _bed.ScalarAsync(sql);
            }
            catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
            {
                return null;
            }
        }

        public async Task<List<string>> RowsAsync(string sql)
        {
            await using var command = _bed.Db.CreateCommand(sql);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<string>();
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }

            return rows;
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
    }
}
