using System.Globalization;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;

namespace Sluice.Salesforce.Connection;

/// <summary>A <c>type: salesforce</c> connection: where the org is, the API version, how to log in, and its API budget.</summary>
public sealed class SalesforceConnectionOptions
{
    /// <summary>Production's login URL; sandboxes use <c>https://test.salesforce.com</c>.</summary>
    public const string DefaultLoginUrl = "https://login.salesforce.com";

    /// <summary>Winter '25, the version Sluice is written against.</summary>
    public const string DefaultApiVersion = "62.0";

    public required string Name { get; init; }

    /// <summary>Where the token endpoint is (<c>{login_url}/services/oauth2/token</c>). Default <see cref="DefaultLoginUrl"/>, or the instance URL when only that is given.</summary>
    public required Uri LoginUrl { get; init; }

    /// <summary>The org's own URL, when given; otherwise the token response's <c>instance_url</c> is used.</summary>
    public Uri? InstanceUrl { get; init; }

    /// <summary>REST version, as <c>62.0</c>. Default <see cref="DefaultApiVersion"/>.</summary>
    public string ApiVersion { get; init; } = DefaultApiVersion;

    public required SalesforceAuthOptions Auth { get; init; }

    /// <summary>
    /// The largest share (0–1] of the org's <c>DailyApiRequests</c> this connection may use, read from
    /// <c>Sforce-Limit-Info</c> on every answer; Sluice stops before going over it. Default 0.5.
    /// </summary>
    public double MaxDailyShare { get; init; } = 0.5;

    /// <summary>
    /// Requests per second across every sync and process writing through this connection. Default 20: Salesforce
    /// meters the day, not the second, and <see cref="MaxDailyShare"/> guards the day.
    /// </summary>
    public RateLimitOptions RateLimit { get; init; } = new() { RequestsPerSecond = 20 };

    /// <summary>Per-request timeout. Default 120 s: a collection of 200 records with triggers can take a while.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Bulk API 2.0 jobs a destination runs at once. Default 4.</summary>
    public int MaxParallelJobs { get; init; } = 4;

    /// <summary><c>/services/data/v62.0/</c>.</summary>
    public string DataPath => $"/services/data/v{ApiVersion}/";

    public static SalesforceConnectionOptions Bind(ConfigSection config, string name)
    {
        var login = ReadUrl(config, "login_url");
        var instance = ReadUrl(config, "instance_url");
        var version = config.GetString("api_version") ?? DefaultApiVersion;
        if (!decimal.TryParse(version, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number < 31 || number > 67 || !version.Contains('.', StringComparison.Ordinal))
        {
            throw new ConfigException(config.LocationOf("api_version"), $"'api_version' must be a Salesforce REST version such as 62.0, not {config.Show("api_version")}",
                $"use 'api_version: \"{DefaultApiVersion}\"' (versions 31.0 to 67.0 are known)");
        }

        var auth = config.GetSection("auth") ?? throw new ConfigException(config.Location, "missing required key 'auth'",
            "say how to log in, e.g.\n    auth:\n      flow: client_credentials\n      client_id: ${SALESFORCE_CLIENT_ID}\n      client_secret: ${SALESFORCE_CLIENT_SECRET}");
        var rate = config.GetSection("rate_limit");
        var share = config.GetString("max_daily_share") is { } shareText ? ParseShare(config, shareText) : 0.5;
        var options = new SalesforceConnectionOptions
        {
            Name = name,
            LoginUrl = login ?? instance ?? new Uri(DefaultLoginUrl),
            InstanceUrl = instance,
            ApiVersion = version,
            Auth = SalesforceAuthOptions.Bind(auth),
            MaxDailyShare = share,
            RateLimit = new RateLimitOptions
            {
                RequestsPerSecond = rate?.GetDouble("requests_per_second", 0.1, 10_000) ?? 20,
                BackfillShare = rate?.GetDouble("backfill_share", 0.01, 1) ?? RateLimitOptions.DefaultBackfillShare,
            },
            Timeout = config.GetDuration("timeout") ?? TimeSpan.FromSeconds(120),
            MaxParallelJobs = config.GetInt("max_parallel_jobs", 1, 25) ?? 4,
        };
        rate?.RejectUnknownKeys();
        config.RejectUnknownKeys(["type"]);
        return options;
    }

    private static Uri? ReadUrl(ConfigSection config, string key)
    {
        var text = config.GetString(key);
        if (text is null)
        {
            return null;
        }

        if (!Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var url) || (url.Scheme != "https" && url.Scheme != "http"))
        {
            throw new ConfigException(config.LocationOf(key), $"'{key}' must be an http(s) URL, not {config.Show(key)}",
                $"use {DefaultLoginUrl} (production), https://test.salesforce.com (sandbox), your My Domain URL, or http://127.0.0.1:9200 for `sluice emulate salesforce`");
        }

        return url;
    }

    private static double ParseShare(ConfigSection config, string text)
    {
        var trimmed = text.Trim();
        var percent = trimmed.EndsWith('%');
        if (double.TryParse(percent ? trimmed[..^1] : trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            var share = percent ? value / 100 : value;
            if (share is > 0 and <= 1)
            {
                return share;
            }
        }

        throw new ConfigException(config.LocationOf("max_daily_share"), $"'max_daily_share' must be a share of the org's daily API requests, not {config.Show("max_daily_share")}",
            "write a percentage such as '50%' or a fraction such as 0.5 (more than 0, at most 100%)");
    }
}
