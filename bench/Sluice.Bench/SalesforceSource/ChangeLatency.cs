using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;
using Sluice.Bench.Harness;

namespace Sluice.Bench.SalesforceSource;

/// <summary>
/// Changes Opportunities in the emulator through its REST API at a steady rate, each one a new <c>Amount</c> that
/// names it (1,000,000 + its number), and hears each row become visible in PostgreSQL: the table's trigger NOTIFYs
/// with the row's id, amount and <c>SystemModstamp</c>, and PostgreSQL delivers a notification only once its
/// transaction committed. A change's latency is the moment the bench hears it minus its <c>SystemModstamp</c>, the
/// emulator's commit time (one machine, one clock).
/// </summary>
internal sealed class ChangeLatency : IAsyncDisposable
{
    /// <summary>The amount of change number 0; a probe uses the one below.</summary>
    private const long Base = 1_000_000;

    private readonly HttpClient _http;
    private readonly NpgsqlConnection _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, double> _latencies = new();
    private readonly Task _listening;
    private Uri _instance = null!;
    private string _token = null!;

    private ChangeLatency(HttpClient http, NpgsqlConnection listener)
    {
        _http = http;
        _listener = listener;
        _listener.Notification += (_, e) => Heard(e.Payload);
        _listening = Task.Run(ListenAsync);
    }

    /// <summary>Changes heard so far (the probe's not counted).</summary>
    public int HeardCount() => _latencies.Keys.Count(k => k >= 0);

    public static async Task<ChangeLatency> StartAsync(HttpClient http, Uri emulator, string connectionString, CancellationToken ct)
    {
        var listener = new NpgsqlConnection(connectionString);
        await listener.OpenAsync(ct);
        await using (var listen = new NpgsqlCommand("LISTEN row_visible", listener))
        {
            await listen.ExecuteNonQueryAsync(ct);
        }

        var latency = new ChangeLatency(http, listener);
        await latency.LoginAsync(emulator, ct);
        return latency;
    }

    /// <summary>Changes one record and waits until it is heard: the stream is following.</summary>
    public async Task ProbeAsync(string id, TimeSpan deadline, Func<bool> childAlive, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            await ChangeAsync(id, Base - 1, ct);
            var wait = Stopwatch.StartNew();
            while (wait.Elapsed < TimeSpan.FromSeconds(10))
            {
                if (_latencies.ContainsKey(-1))
                {
                    return;
                }

                if (!childAlive())
                {
                    throw new BenchFailure("the streaming sync exited before its first change arrived");
                }

                await Task.Delay(50, ct);
            }

            if (clock.Elapsed > deadline)
            {
                throw new BenchFailure($"a probe change did not reach PostgreSQL within {deadline.TotalSeconds:F0} s of the stream starting");
            }
        }
    }

    /// <summary>Makes <paramref name="count"/> changes at <paramref name="rate"/> a second, in turn over <paramref name="ids"/>; returns the seconds they took.</summary>
    public async Task<double> ChangeAsync(IReadOnlyList<string> ids, int count, int rate, CancellationToken ct)
    {
        using var gate = new SemaphoreSlim(64);
        var sent = new List<Task>(count);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / (double)rate) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, ct);
            }

            await gate.WaitAsync(ct);
            var (id, amount) = (ids[i % ids.Count], Base + i);
            sent.Add(Task.Run(async () =>
            {
                try
                {
                    await ChangeAsync(id, amount, ct);
                }
                finally
                {
                    gate.Release();
                }
            }, ct));
        }

        await Task.WhenAll(sent);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Waits until every change is heard, or until <paramref name="quiet"/> passes without a new one.</summary>
    public async Task WaitForAllAsync(int count, TimeSpan quiet, CancellationToken ct)
    {
        var (heard, since) = (HeardCount(), Stopwatch.StartNew());
        while (heard < count && since.Elapsed < quiet)
        {
            await Task.Delay(50, ct);
            if (HeardCount() is var now && now != heard)
            {
                (heard, since) = (now, Stopwatch.StartNew());
            }
        }
    }

    /// <summary>Every heard change's latency in milliseconds.</summary>
    public IReadOnlyList<double> Latencies() => [.. _latencies.Where(e => e.Key >= 0).Select(e => e.Value)];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _listening;
        }
        catch (OperationCanceledException)
        {
        }

        await _listener.DisposeAsync();
        _stop.Dispose();
    }

    private async Task ListenAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            await _listener.WaitAsync(_stop.Token);
        }
    }

    /// <summary>"id amount modstamp-ms": stamped the moment it arrives.</summary>
    private void Heard(string payload)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var parts = payload.Split(' ');
        if (parts.Length == 3
            && decimal.TryParse(parts[1], NumberStyles.Number, CultureInfo.InvariantCulture, out var amount)
            && long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var committed)
            && amount >= Base - 1)
        {
            // The first time a change is visible counts; a later write of the same version (none expected) does not.
            _latencies.TryAdd((long)amount - Base, now - committed);
        }
    }

    private async Task LoginAsync(Uri emulator, CancellationToken ct)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = "sluice-client",
            ["client_secret"] = "sluice-secret",
            ["username"] = "admin@sluice.test",
            ["password"] = "sluice",
        });
        using var response = await _http.PostAsync(new Uri(emulator, "/services/oauth2/token"), form, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new BenchFailure($"the bench could not log in to the emulator: {(int)response.StatusCode} {body}");
        }

        using var json = JsonDocument.Parse(body);
        _token = json.RootElement.GetProperty("access_token").GetString()!;
        _instance = new Uri(json.RootElement.GetProperty("instance_url").GetString()!);
    }

    private async Task ChangeAsync(string id, long amount, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, new Uri(_instance, $"/services/data/v62.0/sobjects/Opportunity/{id}"))
        {
            Content = new StringContent(string.Create(CultureInfo.InvariantCulture, $"{{\"Amount\": {amount}}}"), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        using var response = await _http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new BenchFailure($"PATCH Opportunity {id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        }
    }
}
