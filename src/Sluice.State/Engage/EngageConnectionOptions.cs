using Sluice.Core.Configuration;

namespace Sluice.State.Engage;

/// <summary>
/// A <c>type: engage</c> connection: the webhook Segment Engage delivers audiences and computed traits to, served by
/// <c>sluice run</c> at <see cref="Path"/> and kept in the ingest queue like any ingest source (docs/segment.md, S6).
/// </summary>
public sealed class EngageConnectionOptions
{
    /// <summary>Default <c>max_age</c>: a day, past Segment's retries of a failed delivery (they stop within hours).</summary>
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromDays(1);

    public required string Name { get; init; }

    /// <summary>The webhook's path on <c>sluice run</c>'s listener (<c>path:</c>, required), e.g. <c>/engage/production</c>.</summary>
    public required string Path { get; init; }

    /// <summary>
    /// Segment's shared secret (<c>secret:</c>): a delivery must carry <c>X-Signature</c>, the hex HMAC-SHA1 of its body
    /// with this secret. Null when only Basic auth is configured.
    /// </summary>
    public Secret? SharedSecret { get; init; }

    /// <summary>Basic auth as the alternative (<c>username:</c> and <c>password:</c>); null when not configured.</summary>
    public string? Username { get; init; }

    /// <inheritdoc cref="Username"/>
    public Secret? Password { get; init; }

    /// <summary>
    /// A delivery sent longer ago than this (its <c>sentAt</c>, else <c>timestamp</c>) is refused as stale
    /// (<c>max_age:</c>, default 1 day), so a captured signed request cannot be replayed later.
    /// </summary>
    public TimeSpan MaxAge { get; init; } = DefaultMaxAge;

    /// <summary>How long the queue keeps deliveries every sync has read (<c>retention:</c>, default 7d, as an ingest source).</summary>
    public TimeSpan Retention { get; init; } = Ingest.IngestConnectionOptions.DefaultRetention;

    public static EngageConnectionOptions Bind(ConnectionConfig config)
    {
        var s = config.Settings;
        var path = s.RequireString("path", "give the webhook a path on sluice run's listener, e.g. 'path: /engage/production', and point Segment's webhook destination at it");
        if (!path.StartsWith('/') || path.Contains('{', StringComparison.Ordinal) || path.Contains('?', StringComparison.Ordinal) || path.StartsWith("/v1/", StringComparison.Ordinal))
        {
            throw new ConfigException(s.LocationOf("path"), $"{s.Show("path")} of engage connection '{config.Name}' is not a usable path",
                "write a path starting with '/', without '{', '?' and outside /v1/ (the ingest API's), e.g. 'path: /engage/production'");
        }

        var secret = s.GetSecret("secret");
        var username = s.GetString("username");
        var password = s.GetSecret("password");
        if (username is null != password is null)
        {
            throw new ConfigException(s.LocationOf(username is null ? "password" : "username"), $"engage connection '{config.Name}' has only one of username and password",
                "set both 'username:' and 'password: ${ENGAGE_PASSWORD}' for Basic auth, or neither");
        }

        if (secret is null && username is null)
        {
            throw new ConfigException(s.LocationOf("secret"), $"engage connection '{config.Name}' accepts no credentials, so it would accept anyone's deliveries",
                "set 'secret: ${ENGAGE_SHARED_SECRET}' (the Shared Secret of Segment's webhook destination) or 'username:' and 'password:' for Basic auth");
        }

        var maxAge = s.GetDuration("max_age") ?? DefaultMaxAge;
        var retention = s.GetDuration("retention") ?? Ingest.IngestConnectionOptions.DefaultRetention;
        if (maxAge <= TimeSpan.Zero || retention <= TimeSpan.Zero)
        {
            var key = maxAge <= TimeSpan.Zero ? "max_age" : "retention";
            throw new ConfigException(s.LocationOf(key), $"'{key}' of engage connection '{config.Name}' must be longer than zero", $"write a duration, e.g. '{key}: 1d'");
        }

        s.RejectUnknownKeys(["type"]);
        return new EngageConnectionOptions
        {
            Name = config.Name,
            Path = path.TrimEnd('/').Length == 0 ? "/" : path.TrimEnd('/'),
            SharedSecret = secret,
            Username = username,
            Password = password,
            MaxAge = maxAge,
            Retention = retention,
        };
    }
}
