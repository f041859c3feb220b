using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Core.Errors;
using Sluice.Salesforce.Connection;

namespace Sluice.Salesforce.Streaming;

/// <summary>
/// A Bayeux 1.0 long-polling client of Salesforce's Streaming API (<c>{instance}/cometd/{version}</c>), for one
/// Change Data Capture channel: handshake, subscribe with the replay extension, and <c>/meta/connect</c> long-polls
/// that return the events. It recovers by itself where Salesforce asks: <c>401::Authentication invalid</c> → a fresh
/// token from the connection, then a new handshake; <c>403::Unknown client</c> or <c>advice.reconnect: handshake</c>
/// → a new handshake; after either it subscribes again from the last replay id it received, so nothing is skipped.
/// A replay id Salesforce no longer retains surfaces as <see cref="ReplayIdExpiredException"/>.
/// </summary>
internal sealed class CometdClient : IDisposable
{
    private const int MaxRecoveries = 5;
    private static readonly TimeSpan PollSlack = TimeSpan.FromSeconds(30);

    private readonly SalesforceClient _client;
    private readonly HttpClient _http;
    private readonly string _channel;
    private SalesforceToken? _token;
    private string? _clientId;
    private long _replayFrom;
    private TimeSpan _pollTimeout = TimeSpan.FromSeconds(110);

    public CometdClient(SalesforceClient client, string channel, HttpMessageHandler? handler = null)
    {
        _client = client;
        _channel = channel;
        // The long-poll's own deadline (advice.timeout plus slack) bounds each request, not HttpClient's.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public string Channel => _channel;

    /// <summary>Handshakes and subscribes from <paramref name="replayFrom"/> (<c>-1</c>: new events; <c>-2</c>: every retained one).</summary>
    public async Task SubscribeAsync(long replayFrom, CancellationToken ct)
    {
        _replayFrom = replayFrom;
        await WithRecoveryAsync(async () =>
        {
            await HandshakeAsync(ct);
            return await SubscribeOnceAsync(ct);
        }, ct);
    }

    /// <summary>One long-poll: the events Salesforce had or got within its <c>advice.timeout</c>, in replay order (often none).</summary>
    public async Task<IReadOnlyList<ChangeEventMessage>> ConnectAsync(CancellationToken ct)
    {
        var events = new List<ChangeEventMessage>();
        await WithRecoveryAsync(async () =>
        {
            if (_clientId is null)
            {
                await HandshakeAsync(ct);
                if (await SubscribeOnceAsync(ct) is { } refused)
                {
                    return refused;
                }
            }

            var replies = await PostAsync(new JsonObject { ["channel"] = "/meta/connect", ["clientId"] = _clientId, ["connectionType"] = "long-polling" }, _pollTimeout + PollSlack, ct);
            JsonElement? reply = null;
            foreach (var message in replies)
            {
                var channel = message.TryGetProperty("channel", out var c) ? c.GetString() : null;
                if (channel == "/meta/connect")
                {
                    reply = message;
                }
                else if (channel == _channel && message.TryGetProperty("data", out var data) && ChangeEventMessage.Read(data) is { } change)
                {
                    events.Add(change);
                    _replayFrom = change.ReplayId;
                }
            }

            return reply is { } r ? Failure(r) : null;
        }, ct);
        return events;
    }

    /// <summary>Says goodbye (best effort): the server forgets the client now rather than after its idle timeout.</summary>
    public async Task DisconnectAsync(CancellationToken ct)
    {
        if (_clientId is null)
        {
            return;
        }

        try
        {
            await PostAsync(new JsonObject { ["channel"] = "/meta/disconnect", ["clientId"] = _clientId }, TimeSpan.FromSeconds(10), ct);
        }
        catch (Exception e) when (e is SluiceException or OperationCanceledException)
        {
            // Leaving anyway: Salesforce drops an idle client by itself.
        }

        _clientId = null;
    }

    public void Dispose() => _http.Dispose();

    private async Task HandshakeAsync(CancellationToken ct)
    {
        var replies = await PostAsync(new JsonObject
        {
            ["channel"] = "/meta/handshake",
            ["version"] = "1.0",
            ["supportedConnectionTypes"] = new JsonArray("long-polling"),
        }, TimeSpan.FromSeconds(60), ct);
        var reply = replies.FirstOrDefault(r => r.TryGetProperty("channel", out var c) && c.GetString() == "/meta/handshake");
        if (Failure(reply) is { } failure)
        {
            throw failure;
        }

        _clientId = reply.GetProperty("clientId").GetString();
        if (reply.TryGetProperty("advice", out var advice) && advice.TryGetProperty("timeout", out var timeout) && timeout.TryGetInt64(out var ms))
        {
            _pollTimeout = TimeSpan.FromMilliseconds(ms);
        }
    }

    private async Task<Failed?> SubscribeOnceAsync(CancellationToken ct)
    {
        var replies = await PostAsync(new JsonObject
        {
            ["channel"] = "/meta/subscribe",
            ["clientId"] = _clientId,
            ["subscription"] = _channel,
            ["ext"] = new JsonObject { ["replay"] = new JsonObject { [_channel] = _replayFrom } },
        }, TimeSpan.FromSeconds(60), ct);
        var reply = replies.FirstOrDefault(r => r.TryGetProperty("channel", out var c) && c.GetString() == "/meta/subscribe");
        if (Failure(reply) is { } failure)
        {
            if (failure.Error.Contains("replayId", StringComparison.Ordinal) && failure.Error.StartsWith("400::", StringComparison.Ordinal))
            {
                throw new ReplayIdExpiredException(_channel, _replayFrom, failure.Error);
            }

            return failure;
        }

        return null;
    }

    /// <summary>Runs <paramref name="step"/>; on the failures Salesforce means to be recovered from, recovers and runs it again.</summary>
    private async Task WithRecoveryAsync(Func<Task<Failed?>> step, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            Failed? failure;
            try
            {
                failure = await step();
            }
            catch (Failed thrown)
            {
                failure = thrown;
            }

            if (failure is null)
            {
                return;
            }

            if (attempt >= MaxRecoveries)
            {
                throw SluiceException.Transient($"Salesforce connection '{_client.Options.Name}': the Streaming API keeps refusing {_channel}: {failure.Error}");
            }

            if (failure.Error.StartsWith("401::", StringComparison.Ordinal))
            {
                // The session ended: a new token (one login shared with every other user of the connection), then a new handshake.
                _token = await _client.TokenAsync(_token, ct);
            }
            else if (failure.Reconnect == "none")
            {
                throw SluiceException.Fatal($"Salesforce connection '{_client.Options.Name}': the Streaming API refused {_channel}: {failure.Error}");
            }

            // A new handshake and subscription on the next attempt, continuing after the last event received.
            _clientId = null;
        }
    }

    private async Task<List<JsonElement>> PostAsync(JsonObject message, TimeSpan deadline, CancellationToken ct)
    {
        _token ??= await _client.TokenAsync(null, ct);
        var url = new Uri(_token.InstanceUrl, $"/cometd/{_client.Options.ApiVersion}");
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(new JsonArray(message).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("OAuth", _token.AccessToken.Reveal());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(deadline);
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            if (!body.TrimStart().StartsWith('['))
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    return [Synthetic("401::Authentication invalid", message)];
                }

                throw SluiceException.Transient($"Salesforce connection '{_client.Options.Name}': the Streaming API answered {(int)response.StatusCode} to {message["channel"]}");
            }

            using var json = JsonDocument.Parse(body);
            return [.. json.RootElement.EnumerateArray().Select(e => e.Clone())];
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw SluiceException.Transient($"Salesforce connection '{_client.Options.Name}': no answer from the Streaming API within {deadline.TotalSeconds:0} s", e);
        }
        catch (HttpRequestException e)
        {
            throw SluiceException.Transient($"Salesforce connection '{_client.Options.Name}': Streaming API: {e.Message}", e);
        }
    }

    private static JsonElement Synthetic(string error, JsonObject message) =>
        JsonSerializer.SerializeToElement(new JsonObject { ["channel"] = message["channel"]?.ToString(), ["successful"] = false, ["error"] = error });

    private static Failed? Failure(JsonElement reply)
    {
        if (reply.ValueKind != JsonValueKind.Object)
        {
            return new Failed("no reply", null);
        }

        if (reply.TryGetProperty("successful", out var ok) && ok.ValueKind == JsonValueKind.True)
        {
            return null;
        }

        var error = reply.TryGetProperty("error", out var e) ? e.GetString() ?? "" : "";
        var reconnect = reply.TryGetProperty("advice", out var advice) && advice.TryGetProperty("reconnect", out var r) ? r.GetString() : null;
        return new Failed(error, reconnect);
    }

    /// <summary>A refused Bayeux message: the error (<c>401::Authentication invalid</c>) and the server's reconnect advice.</summary>
    private sealed class Failed(string error, string? reconnect) : Exception(error)
    {
        public string Error { get; } = error;

        public string? Reconnect { get; } = reconnect;
    }
}
