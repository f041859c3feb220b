using Sluice.Core.Configuration;
using Sluice.Core.Engine;

namespace Sluice.Segment.Destination;

/// <summary>A <c>type: segment</c> connection: a source's write key and where its HTTP Tracking API is.</summary>
public sealed class SegmentConnectionOptions
{
    /// <summary>Segment's US endpoint; the EU one is <c>https://events.eu1.segmentapis.com</c>.</summary>
    public const string DefaultEndpoint = "https://api.segment.io";

    public required string Name { get; init; }

    public required Secret WriteKey { get; init; }

    /// <summary>Base URL; <c>/v1/batch</c> is appended. Default <see cref="DefaultEndpoint"/>.</summary>
    public Uri Endpoint { get; init; } = new(DefaultEndpoint);

    /// <summary>Batches in flight at once. Default 4.</summary>
    public int MaxInFlight { get; init; } = 4;

    /// <summary>
    /// Default 200 requests/s: a fifth of the 1,000 requests/s Segment recommends per workspace,
    /// leaving room for the application's own traffic. Events per second are unlimited by default.
    /// Backfills may use at most <see cref="RateLimitOptions.DefaultBackfillShare"/> of either budget.
    /// </summary>
    public RateLimitOptions RateLimit { get; init; } = new() { RequestsPerSecond = 200 };

    /// <summary>Per-request timeout. Default 30 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public static SegmentConnectionOptions Bind(ConnectionConfig config)
    {
        var s = config.Settings;
        var endpointText = s.GetString("endpoint") ?? DefaultEndpoint;
        if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != "https" && endpoint.Scheme != "http"))
        {
            throw new ConfigException(s.LocationOf("endpoint"), $"'endpoint' must be an http(s) URL, not {s.Show("endpoint", $"'{endpointText}'")}",
                $"use {DefaultEndpoint}, or http://127.0.0.1:9100 for `sluice emulate segment`");
        }

        var rate = s.GetSection("rate_limit");
        var options = new SegmentConnectionOptions
        {
            Name = config.Name,
            WriteKey = s.GetSecret("write_key") ?? throw new ConfigException(s.Location, "missing required key 'write_key'",
                "set it from the environment: 'write_key: ${SEGMENT_WRITE_KEY}' (Segment → Sources → your source → Settings → API Keys)"),
            Endpoint = endpoint,
            MaxInFlight = s.GetInt("max_in_flight", 1, 64) ?? 4,
            RateLimit = new RateLimitOptions
            {
                RequestsPerSecond = rate?.GetDouble("requests_per_second", 0.1, 100_000) ?? 200,
                EventsPerSecond = rate?.GetDouble("events_per_second", 1, 10_000_000),
                BackfillShare = rate?.GetDouble("backfill_share", 0.01, 1) ?? RateLimitOptions.DefaultBackfillShare,
            },
            Timeout = s.GetDuration("timeout") ?? TimeSpan.FromSeconds(30),
        };
        rate?.RejectUnknownKeys();
        s.RejectUnknownKeys(["type"]);
        return options;
    }
}
