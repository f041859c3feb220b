using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Segment.Protocol;

namespace Sluice.Segment.Destination;

/// <summary>
/// Sends records to Segment's HTTP Tracking API as <c>POST /v1/batch</c>, within its limits
/// (32 KB an event, 500 KB and 2,500 events a batch), and classifies its answers the way Segment's
/// own clients do.
/// </summary>
public sealed class SegmentDestination : IDestination, ICallLabels
{
    // Segment rejects a batch over 500 KB with 400; analytics-node stops at 480 KB for headroom, and so do we.
    private const int MaxBatchBytes = 480 * 1024;
    private const int MaxEventBytes = 32 * 1024;
    private const int MaxBatchEvents = 2_500;

    private readonly SegmentConnectionOptions _connection;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly SegmentEventEncoder _encoder;
    private readonly Uri _batchUrl;
    private readonly TimeProvider _time;
    private readonly SegmentDestinationOptions _options;

    public SegmentDestination(string syncName, SegmentConnectionOptions connection, SegmentDestinationOptions options, TimeProvider time, HttpClient? http = null)
    {
        _connection = connection;
        _options = options;
        _time = time;
        _ownsHttp = http is null;
        _http = http ?? CreateHttpClient(connection);
        _encoder = new SegmentEventEncoder(syncName, options);
        _batchUrl = new Uri(connection.Endpoint, "v1/batch");
        Shape = options.Forward ? ForwardShape : SegmentEventEncoder.Shape(options);
        Limits = new DestinationLimits(MaxBatchEvents, MaxBatchBytes - 64, MaxEventBytes, connection.MaxInFlight);
        Description = $"Segment ({connection.Endpoint.Host})";
    }

    public string Description { get; }

    /// <summary><c>forward: true</c> maps nothing: it reads the ingest source's event as stored.</summary>
    private static MappingShape ForwardShape { get; } = new("Segment (forwarding ingested events)", [], [])
    {
        ExtraColumns =
        [
            (SegmentForwardEncoder.EventIdColumn, new Core.Configuration.ConfigLocation("(options)", 0, 0, "destination.forward")),
            (SegmentForwardEncoder.KindColumn, new Core.Configuration.ConfigLocation("(options)", 0, 0, "destination.forward")),
            (SegmentForwardEncoder.PayloadColumn, new Core.Configuration.ConfigLocation("(options)", 0, 0, "destination.forward")),
        ],
    };

    public MappingShape Shape { get; }

    public DestinationLimits Limits { get; }

    /// <summary>With <c>on_delete</c>: a deleted record becomes the call it names.</summary>
    public bool AcceptsDeletes => _options.OnDelete is not null;

    /// <summary>A request body is cut from the encoded events alone (<see cref="SegmentBatchContent"/>).</summary>
    public bool WritesPayloadsOnly => true;

    /// <summary>A delete when <c>on_delete</c> says how; a change, unless a transition is set and the change does not make it.</summary>
    public bool Sends(Change change) => _options.Forward ? change.Operation != ChangeOperation.Delete : change.Operation == ChangeOperation.Delete
        ? _options.OnDelete is not null
        : _options.Call != SegmentCall.Track || _options.Transition is not { } transition || transition.IsMadeBy(change);

    public static HttpClient CreateHttpClient(SegmentConnectionOptions connection) =>
        new(new SocketsHttpHandler
        {
            // Segment asks clients to refresh its address at least daily; recycling connections does that.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = connection.MaxInFlight + 2,
            AutomaticDecompression = DecompressionMethods.All,
        })
        {
            Timeout = connection.Timeout,
        };

    public async Task CheckAsync(CancellationToken ct)
    {
        // An empty batch is accepted by Segment and by the emulator: it proves the endpoint and the key.
        var results = await SendAsync([], ct);
        _ = results;
    }

    public EncodedRecord Encode(Change change, CompiledMapping mapping)
    {
        if (_options.Forward)
        {
            return SegmentForwardEncoder.Encode(change, mapping);
        }

        var (payload, messageId) = _encoder.Encode(change, mapping);
        return new EncodedRecord(change, messageId, payload);
    }

    /// <summary>The call as the Segment Spec names it (<c>track "Order Completed"</c>), read by <see cref="SegmentMessage"/>.</summary>
    public string? LabelOf(ReadOnlySpan<byte> payload) => SegmentMessage.LabelOf(payload);

    public Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct) => SendAsync(batch, ct);

    public ValueTask DisposeAsync()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private async Task<IReadOnlyList<WriteResult>> SendAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _batchUrl) { Content = new SegmentBatchContent(batch, _time.GetUtcNow()) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(_connection.WriteKey.Reveal() + ":")));

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw SluiceException.Transient($"{Description}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw SluiceException.Transient($"{Description}: no answer within {_connection.Timeout.TotalSeconds:0} s", e);
        }
        catch (IOException e)
        {
            throw SluiceException.Transient($"{Description}: connection dropped: {e.Message}", e);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 400)
            {
                return Enumerable.Repeat(WriteResult.Ok, batch.Count).ToArray();
            }

            var message = await ErrorMessageAsync(response, ct);
            switch (status)
            {
                case 400 when message.Contains("invalid write key", StringComparison.OrdinalIgnoreCase):
                    // Segment says this with 400 (analytics-go#205); it concerns every record, not one.
                    throw SluiceException.Fatal($"{Description}: the write key was refused ({message}); check 'write_key' of connection '{_connection.Name}'");
                case 429:
                    throw SluiceException.Transient($"{Description}: rate limited (429)", retryAfter: RetryAfter(response));
                case 400 when batch.Count > 1:
                    // Segment refuses the whole batch for one bad event: halve until the culprit stands alone.
                    return await BisectAsync(batch, ct);
                case 400:
                    return [WriteResult.Rejected($"Segment answered 400: {message}")];
                case 401 or 403:
                    throw SluiceException.Fatal($"{Description}: the write key was refused ({status}: {message}); check 'write_key' of connection '{_connection.Name}'");
                // Segment's clients retry these (analytics-node publisher.ts) and drop 501, 505 and other 4xx.
                case 408 or 410 or 460:
                case >= 500 and not 501 and not 505:
                    throw SluiceException.Transient($"{Description}: {status} {message}");
                default:
                    var reason = $"Segment answered {status}: {message}";
                    return Enumerable.Repeat(WriteResult.Rejected(reason), batch.Count).ToArray();
            }
        }
    }

    private async Task<IReadOnlyList<WriteResult>> BisectAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
    {
        var half = batch.Count / 2;
        var first = await SendAsync(batch.Take(half).ToList(), ct);
        var second = await SendAsync(batch.Skip(half).ToList(), ct);
        return [.. first, .. second];
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is { } header)
        {
            if (header.Delta is { } delta)
            {
                return delta;
            }

            if (header.Date is { } date)
            {
                var wait = date - _time.GetUtcNow();
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }

        if (response.Headers.TryGetValues("X-RateLimit-Reset", out var values)
            && double.TryParse(values.FirstOrDefault(), System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return null;
    }

    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(ct);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return response.ReasonPhrase ?? "";
        }

        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(text);
            if (json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && json.RootElement.TryGetProperty("message", out var message))
            {
                return message.GetString() ?? text;
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // not JSON: the plain text is the message
        }

        return text.Length > 500 ? text[..500] : text;
    }
}
