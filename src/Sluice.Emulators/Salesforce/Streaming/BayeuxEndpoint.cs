using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Internal;

namespace Sluice.Emulators.Salesforce.Streaming;

/// <summary>
/// The Streaming API's CometD (Bayeux 1.0) endpoint, <c>POST /cometd/{version}</c>, as jsforce's faye client speaks
/// it: <c>/meta/handshake</c> (a clientId; <c>ext.replay</c> says replay is supported), <c>/meta/subscribe</c> to
/// <c>/data/ChangeEvents</c> or <c>/data/{Object}ChangeEvent</c> (with the replay extension: <c>-1</c> new events,
/// <c>-2</c> every retained one, or a replay id to resume after), <c>/meta/connect</c> long-polls that answer with the
/// events and <c>advice</c>, <c>/meta/unsubscribe</c>, <c>/meta/disconnect</c>. The session is the REST one
/// (<c>Authorization: OAuth …</c>); an expired one answers <c>401::Authentication invalid</c>, an unknown client
/// <c>403::Unknown client</c> with <c>reconnect: handshake</c>.
/// </summary>
internal sealed class BayeuxEndpoint(SalesforceState state, CancellationToken stopping)
{
    public const string Prefix = "/cometd";

    private const int MaxEventsPerConnect = 1000;
    private static readonly TimeSpan IdleClient = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, BayeuxClient> _clients = new(StringComparer.Ordinal);

    public int Clients => _clients.Count;

    public async Task HandleAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = 405;
            context.Response.Headers.Allow = "POST";
            return;
        }

        JsonArray messages;
        try
        {
            var node = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            messages = node switch
            {
                JsonArray array => array,
                JsonObject single => [single.DeepClone()],
                _ => throw new JsonException("not a message"),
            };
        }
        catch (JsonException)
        {
            context.Response.StatusCode = 400;
            return;
        }

        var replies = new List<JsonObject>();
        if (state.Tokens.Validate(Token(context)) is null)
        {
            // Salesforce's answer to an expired or revoked session: faye stops (reconnect none); the client logs in again.
            foreach (var message in messages.OfType<JsonObject>())
            {
                replies.Add(Reply(message, error: "401::Authentication invalid", advice: new JsonObject { ["reconnect"] = "none", ["interval"] = 0 }));
            }

            await WriteAsync(context, 401, replies, []);
            return;
        }

        JsonObject? connect = null;
        foreach (var message in messages.OfType<JsonObject>())
        {
            switch (message["channel"]?.ToString())
            {
                case "/meta/handshake":
                    replies.Add(Handshake(message));
                    break;
                case "/meta/subscribe":
                    replies.Add(Subscribe(message, subscribe: true));
                    break;
                case "/meta/unsubscribe":
                    replies.Add(Subscribe(message, subscribe: false));
                    break;
                case "/meta/disconnect":
                    replies.Add(Disconnect(message));
                    break;
                case "/meta/connect":
                    connect = message;
                    break;
                default:
                    replies.Add(Reply(message, error: "403::Publishing is not supported on this channel"));
                    break;
            }
        }

        var events = new List<(string Channel, ChangeEvent Event)>();
        if (connect is not null)
        {
            replies.Add(await ConnectAsync(connect, events, context.RequestAborted));
        }

        await WriteAsync(context, 200, replies, events);
    }

    /// <summary>Forgets every client (a reset): their next request is told to handshake again.</summary>
    public void Forget()
    {
        foreach (var client in _clients.Values)
        {
            client.Close();
        }

        _clients.Clear();
    }

    private JsonObject Handshake(JsonObject message)
    {
        ForgetIdle();
        var client = new BayeuxClient(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)));
        _clients[client.Id] = client;
        var reply = Reply(message, clientId: client.Id, advice: Advice("retry"));
        reply["version"] = "1.0";
        reply["minimumVersion"] = "1.0";
        reply["supportedConnectionTypes"] = new JsonArray("long-polling");
        reply["ext"] = new JsonObject { ["replay"] = true, ["payload.format"] = true };
        return reply;
    }

    private JsonObject Subscribe(JsonObject message, bool subscribe)
    {
        var channel = message["subscription"]?.ToString() ?? "";
        if (Known(message) is not { } client)
        {
            return WithSubscription(UnknownClient(message), channel);
        }

        if (ChannelFilter(channel) is null)
        {
            return WithSubscription(Reply(message, clientId: client.Id, error: $"400::The channel you requested to subscribe to does not exist {{{channel}}}"), channel);
        }

        if (!subscribe)
        {
            lock (client.Gate)
            {
                client.Cursors.Remove(channel);
            }

            return WithSubscription(Reply(message, clientId: client.Id), channel);
        }

        var replayFrom = -1L;
        if (message["ext"]?["replay"]?[channel] is JsonValue value)
        {
            replayFrom = value.TryGetValue<long>(out var number) ? number
                : long.TryParse(value.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out number) ? number
                : long.MinValue;
        }

        if (state.Streaming.Start(replayFrom) is not { } cursor)
        {
            return WithSubscription(Reply(message, clientId: client.Id, error: ReplayInvalid(replayFrom)), channel);
        }

        lock (client.Gate)
        {
            client.Cursors[channel] = cursor;
        }

        return WithSubscription(Reply(message, clientId: client.Id), channel);
    }

    // Salesforce's wording, two spaces included.
    private static string ReplayInvalid(long replayFrom) => string.Create(CultureInfo.InvariantCulture,
        $"400::The replayId {{{replayFrom}}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.");

    private JsonObject Disconnect(JsonObject message)
    {
        if (Known(message) is not { } client)
        {
            return UnknownClient(message);
        }

        _clients.TryRemove(client.Id, out _);
        client.Close();
        return Reply(message, clientId: client.Id);
    }

    private async Task<JsonObject> ConnectAsync(JsonObject message, List<(string, ChangeEvent)> events, CancellationToken aborted)
    {
        if (Known(message) is not { } client)
        {
            return UnknownClient(message);
        }

        var superseded = client.BeginPoll();
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted, superseded, stopping);
        var hold = state.Streaming.Options.ConnectTimeout;
        if (message["advice"]?["timeout"] is JsonValue asked && asked.TryGetValue<double>(out var milliseconds) && milliseconds >= 0)
        {
            // faye sends advice.timeout 0 on a connect batched with other messages: answer it at once.
            hold = TimeSpan.FromMilliseconds(Math.Min(milliseconds, hold.TotalMilliseconds));
        }

        if (hold > TimeSpan.Zero)
        {
            wait.CancelAfter(hold);
        }
        else
        {
            await wait.CancelAsync();
        }

        while (true)
        {
            var changed = state.Streaming.Changed;
            Collect(client, events);
            if (events.Count > 0 || wait.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await changed.WaitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                // Time's up (or a newer poll, or shutdown): answer with what there is.
            }
        }

        client.LastSeen = Environment.TickCount64;
        return Reply(message, clientId: client.Id, advice: Advice("retry"));
    }

    /// <summary>Takes the client's next events on every channel it follows and moves its cursors past them.</summary>
    private void Collect(BayeuxClient client, List<(string, ChangeEvent)> events)
    {
        lock (client.Gate)
        {
            foreach (var channel in client.Cursors.Keys.ToList())
            {
                var filter = ChannelFilter(channel)!;
                var found = state.Streaming.After(client.Cursors[channel], filter, MaxEventsPerConnect);
                if (found.Count > 0)
                {
                    events.AddRange(found.Select(e => (channel, e)));
                    client.Cursors[channel] = found[^1].ReplayId;
                }
            }
        }
    }

    /// <summary>Which objects' events a channel carries, or null when the org has no such channel.</summary>
    private Func<string, bool>? ChannelFilter(string channel)
    {
        const string data = "/data/";
        if (channel == data + "ChangeEvents")
        {
            return _ => true;
        }

        if (!channel.StartsWith(data, StringComparison.Ordinal) || !channel.EndsWith("ChangeEvent", StringComparison.Ordinal))
        {
            return null;
        }

        // Custom objects drop the trailing "c": Invoice__c → /data/Invoice__ChangeEvent.
        var name = channel[data.Length..^"ChangeEvent".Length];
        if (name.EndsWith("__", StringComparison.Ordinal))
        {
            name += "c";
        }

        return state.Org.TryGetSchema(name, out var schema) && schema.Name == name
            ? entity => entity == name
            : null;
    }

    private BayeuxClient? Known(JsonObject message)
    {
        if (message["clientId"]?.ToString() is { } id && _clients.TryGetValue(id, out var client))
        {
            client.LastSeen = Environment.TickCount64;
            return client;
        }

        return null;
    }

    private void ForgetIdle()
    {
        var horizon = Environment.TickCount64 - (long)(IdleClient + state.Streaming.Options.ConnectTimeout).TotalMilliseconds;
        foreach (var client in _clients.Values.Where(c => c.LastSeen < horizon))
        {
            if (_clients.TryRemove(client.Id, out _))
            {
                client.Close();
            }
        }
    }

    private JsonObject Advice(string reconnect) => new()
    {
        ["interval"] = 0,
        ["timeout"] = (long)state.Streaming.Options.ConnectTimeout.TotalMilliseconds,
        ["reconnect"] = reconnect,
    };

    private static JsonObject UnknownClient(JsonObject message) =>
        Reply(message, error: "403::Unknown client", advice: new JsonObject { ["reconnect"] = "handshake", ["interval"] = 0 });

    private static JsonObject WithSubscription(JsonObject reply, string channel)
    {
        reply["subscription"] = channel;
        return reply;
    }

    private static JsonObject Reply(JsonObject message, string? clientId = null, string? error = null, JsonObject? advice = null)
    {
        var reply = new JsonObject { ["channel"] = message["channel"]?.ToString() };
        if (message["id"] is { } id)
        {
            reply["id"] = id.DeepClone();
        }

        if (clientId is not null)
        {
            reply["clientId"] = clientId;
        }

        reply["successful"] = error is null;
        if (error is not null)
        {
            reply["error"] = error;
        }

        if (advice is not null)
        {
            reply["advice"] = advice;
        }

        return reply;
    }

    private static string? Token(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        foreach (var scheme in new[] { "OAuth ", "Bearer " })
        {
            if (header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                return header[scheme.Length..].Trim();
            }
        }

        return null;
    }

    private static async Task WriteAsync(HttpContext context, int status, List<JsonObject> replies, List<(string Channel, ChangeEvent Event)> events)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json;charset=UTF-8";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartArray();
        foreach (var (channel, e) in events)
        {
            writer.WriteStartObject();
            writer.WritePropertyName("data");
            writer.WriteRawValue(e.Data, skipInputValidation: true);
            writer.WriteString("channel", channel);
            writer.WriteEndObject();
        }

        foreach (var reply in replies)
        {
            reply.WriteTo(writer);
        }

        writer.WriteEndArray();
        await writer.FlushAsync(context.RequestAborted);
    }
}
