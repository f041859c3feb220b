using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Polly;
using Polly.Retry;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Errors;

namespace Sluice.Salesforce.Connection;

/// <summary>
/// One connection's way into the org, shared by every sync on it: one pooled <see cref="HttpClient"/>, the access token
/// in memory (refreshed before its session ends and on a 401 <c>INVALID_SESSION_ID</c>, one refresh at a time), every
/// answer's <c>Sforce-Limit-Info</c> read against <c>max_daily_share</c>, and Salesforce's errors classified once here.
/// </summary>
internal sealed class SalesforceClient : IDisposable
{
    private static readonly TimeSpan LimitPause = TimeSpan.FromMinutes(5);

    private readonly SalesforceConnectionOptions _options;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly SalesforceTokenClient _tokens;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly ResiliencePipeline<HttpResponseMessage> _retry;
    private readonly Dictionary<string, Task<Describe.SObjectDescription>> _describes = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private SalesforceToken? _token;
    private long _used = -1;
    private long _max = -1;
    private long _requests;

    /// <param name="credentials">Where a rotated refresh token is kept for the next process; null keeps it in memory only.</param>
    public SalesforceClient(SalesforceConnectionOptions options, TimeProvider time, HttpMessageHandler? handler = null, IConnectionCredentials? credentials = null)
    {
        _options = options;
        _time = time;
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 16,
            AutomaticDecompression = DecompressionMethods.All,
        })
        {
            Timeout = options.Timeout,
        };
        _tokens = new SalesforceTokenClient(options, _http, time, credentials);
        _retry = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                // As jsforce (src/request.ts): up to 5 retries from 500 ms doubling, on 420/429/5xx and dropped
                // connections; with jitter so that parallel jobs do not retry in step.
                MaxRetryAttempts = 5,
                Delay = TimeSpan.FromMilliseconds(500),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<IOException>()
                    .HandleResult(r => (int)r.StatusCode is 420 or 429 or 500 or 502 or 503 or 504),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public SalesforceConnectionOptions Options => _options;

    /// <summary>The connection's delivery gate, when the host shares one: each request waits for a permit from it.</summary>
    public Func<DeliveryGate>? Gate { get; init; }

    public TimeProvider Time => _time;

    /// <summary>What Salesforce last said about the org's daily requests; null before the first answer.</summary>
    public ApiUsage? Usage
    {
        get
        {
            lock (_gate)
            {
                return _max < 0 ? null : new ApiUsage(_used, _max);
            }
        }
    }

    /// <summary>Requests this process has sent on the connection (token requests excluded).</summary>
    public long RequestsSent => Interlocked.Read(ref _requests);

    /// <summary>The org's URL, logging in first when no token is held.</summary>
    public async Task<Uri> InstanceUrlAsync(CancellationToken ct) => (await TokenAsync(null, ct)).InstanceUrl;

    /// <summary>Logs in now (for <c>sluice check</c>): a refused login is a fatal error naming the fix.</summary>
    public Task LoginAsync(CancellationToken ct) => TokenAsync(null, ct);

    /// <summary>
    /// Sends a request to <c>{instance}{path}</c> (a path under <see cref="SalesforceConnectionOptions.DataPath"/> when
    /// it does not start with <c>/</c>) and returns the answer when it is 2xx; otherwise throws the classified error.
    /// <paramref name="retrySafe"/>: the request can be sent twice without doing twice (GET, PUT, DELETE, an upsert).
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Func<HttpContent?> content, bool retrySafe, CancellationToken ct, bool allowNotFound = false)
    {
        for (var attempt = 0; ; attempt++)
        {
            var token = await TokenAsync(null, ct);
            CheckDailyShare();
            var url = new Uri(token.InstanceUrl, path.StartsWith('/') ? path : _options.DataPath + path);
            HttpResponseMessage response;
            try
            {
                response = retrySafe
                    ? await _retry.ExecuteAsync(async (state, c) => await SendOnceAsync(state, c), (method, url, content, token), ct)
                    : await SendOnceAsync((method, url, content, token), ct);
            }
            catch (HttpRequestException e)
            {
                throw SluiceException.Transient($"Salesforce connection '{_options.Name}': {e.Message}", e);
            }
            catch (IOException e)
            {
                throw SluiceException.Transient($"Salesforce connection '{_options.Name}': connection dropped: {e.Message}", e);
            }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw SluiceException.Transient($"Salesforce connection '{_options.Name}': no answer within {_options.Timeout.TotalSeconds:0} s ({method} {path})", e);
            }

            ReadUsage(response);
            if (response.IsSuccessStatusCode || (allowNotFound && response.StatusCode == HttpStatusCode.NotFound))
            {
                return response;
            }

            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(ct);
                var errors = SalesforceApiError.Parse(body);
                var status = (int)response.StatusCode;
                if (status == 401 && attempt == 0 && !body.Contains("not valid for use with the REST API", StringComparison.Ordinal))
                {
                    // The session ended (timeout, revoked): log in again once and send the request again once.
                    await TokenAsync(token, ct);
                    continue;
                }

                throw Translate(status, errors, method, path);
            }
        }
    }

    /// <summary>GETs a JSON document.</summary>
    public async Task<JsonDocument> GetJsonAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, path, () => null, retrySafe: true, ct);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        return await JsonDocument.ParseAsync(stream, cancellationToken: ct);
    }

    /// <summary>Sends JSON and reads the JSON answer (null for 204).</summary>
    public async Task<JsonDocument?> SendJsonAsync(HttpMethod method, string path, byte[] body, bool retrySafe, CancellationToken ct)
    {
        using var response = await SendAsync(method, path, () => Json(body), retrySafe, ct);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return null;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        return await JsonDocument.ParseAsync(stream, cancellationToken: ct);
    }

    /// <summary>An object's describe, asked once per connection and kept.</summary>
    public Task<Describe.SObjectDescription> DescribeAsync(string objectName, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_describes.TryGetValue(objectName, out var task) || task.IsFaulted || task.IsCanceled)
            {
                task = Describe.SObjectDescription.LoadAsync(this, objectName, ct);
                _describes[objectName] = task;
            }

            return task;
        }
    }

    /// <summary>The org's daily API requests from <c>/limits</c>.</summary>
    public async Task<ApiUsage> LimitsAsync(CancellationToken ct)
    {
        using var json = await GetJsonAsync("limits", ct);
        if (json.RootElement.TryGetProperty("DailyApiRequests", out var daily)
            && daily.TryGetProperty("Max", out var max) && daily.TryGetProperty("Remaining", out var remaining))
        {
            var usage = new ApiUsage(max.GetInt64() - remaining.GetInt64(), max.GetInt64());
            lock (_gate)
            {
                (_used, _max) = (usage.Used, usage.Max);
            }

            return usage;
        }

        return Usage ?? throw SluiceException.Fatal($"Salesforce connection '{_options.Name}': /limits has no DailyApiRequests; the user needs 'View Setup and Configuration'");
    }

    public static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    public void Dispose()
    {
        _http.Dispose();
        _refresh.Dispose();
    }

    private async Task<HttpResponseMessage> SendOnceAsync((HttpMethod Method, Uri Url, Func<HttpContent?> Content, SalesforceToken Token) state, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(state.Method, state.Url) { Content = state.Content() };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", state.Token.AccessToken.Reveal());
        // Marks Sluice's writes in Salesforce's logs (and lets a two-way sync recognise them).
        request.Headers.TryAddWithoutValidation("Sforce-Call-Options", "client=sluice");
        if (Gate is { } gate)
        {
            await gate().WaitAsync(1, 0, DeliveryLane.Live, ct);
        }

        Interlocked.Increment(ref _requests);
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    /// <summary>The held token, or a new one when none is held, it is due, or <paramref name="rejected"/> is the one held.</summary>
    public async Task<SalesforceToken> TokenAsync(SalesforceToken? rejected, CancellationToken ct)
    {
        var held = Volatile.Read(ref _token);
        if (held is not null && held != rejected && held.RefreshAfter > _time.GetUtcNow())
        {
            return held;
        }

        await _refresh.WaitAsync(ct);
        try
        {
            // Another caller may have refreshed while this one waited: one login serves them all.
            held = _token;
            if (held is not null && held != rejected && held.RefreshAfter > _time.GetUtcNow())
            {
                return held;
            }

            var fresh = await _tokens.RequestAsync(ct);
            Volatile.Write(ref _token, fresh);
            return fresh;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private void ReadUsage(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("Sforce-Limit-Info", out var values) && ApiUsage.Parse(string.Join(";", values)) is { } usage)
        {
            lock (_gate)
            {
                (_used, _max) = (usage.Used, usage.Max);
            }
        }
    }

    /// <summary>Stops before a request that would take the org's usage past this connection's share of the day.</summary>
    private void CheckDailyShare()
    {
        if (Usage is not { } usage)
        {
            return;
        }

        if (usage.Used >= usage.Max)
        {
            // The org itself is out, not only this connection's share: the same stop, in the same words, as the 403 that
            // the request would get (whichever of two requests in flight learns it first, the user reads one message).
            throw OrgOutOfRequests(usage.Max.ToString("N0", CultureInfo.InvariantCulture), "403 REQUEST_LIMIT_EXCEEDED to any more");
        }

        var allowed = (long)Math.Floor(usage.Max * _options.MaxDailyShare);
        if (usage.Used + 1 > allowed)
        {
            throw new SluiceException(ErrorClass.Fatal,
                $"Salesforce connection '{_options.Name}' stops: the org has used {usage.Used:N0} of its {usage.Max:N0} daily API requests, " +
                $"and max_daily_share ({_options.MaxDailyShare * 100:0.##}%) allows {allowed:N0}; nothing more is sent until the 24 h window frees requests\n" +
                "  fix: wait, or raise 'max_daily_share' on the connection if the org can spare more");
        }
    }

    /// <summary>The stop when the org has used every daily API request (<paramref name="max"/> when known): <paramref name="answer"/> is what Salesforce answers.</summary>
    private SluiceException OrgOutOfRequests(string? max, string answer) => SluiceException.Fatal(
        $"Salesforce connection '{_options.Name}' stops: the org has used all of its {(max is null ? "" : max + " ")}daily API requests ({answer}); " +
        "nothing more is sent until the 24 h window frees requests\n" +
        "  fix: run again later ('sluice check' shows the requests left), ask Salesforce for a higher limit, or lower 'max_daily_share' so Sluice stops before the org runs out");

    private SluiceException Translate(int status, IReadOnlyList<SalesforceApiError> errors, HttpMethod method, string path)
    {
        var first = errors[0];
        var what = $"Salesforce connection '{_options.Name}': {method} {path} answered {status} {string.Join("; ", errors)}";
        return (status, first.Code) switch
        {
            // The org's 24-hour request limit is used up: waiting minutes frees nothing, so the run stops here, behind
            // what Salesforce acknowledged, and a run after the window frees requests goes on from there.
            (403, "REQUEST_LIMIT_EXCEEDED") when first.Message.Contains("TotalRequests", StringComparison.OrdinalIgnoreCase) =>
                OrgOutOfRequests(null, $"{status} {string.Join("; ", errors)}"),

            // The org is over another limit (concurrent long requests): every sender on the connection pauses.
            (403, "REQUEST_LIMIT_EXCEEDED") => SluiceException.Transient(what, retryAfter: LimitPause),
            (401, _) => SluiceException.Fatal(what + "\n  fix: check the connection's 'auth' settings; the user may have been deactivated or the app's session revoked"),
            (403, _) => SluiceException.Fatal(what + "\n  fix: give the integration user the 'API Enabled' permission and access to the objects the syncs use"),
            (404, _) => SluiceException.Fatal(what + "\n  fix: check 'api_version' and the object's name"),
            ( >= 500, _) or (420 or 429, _) => SluiceException.Transient(what),
            _ => SluiceException.Fatal(what),
        };
    }
}
