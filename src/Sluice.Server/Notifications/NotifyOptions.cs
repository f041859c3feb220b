using Sluice.Core.Configuration;

namespace Sluice.Server.Notifications;

/// <summary>
/// <c>notify:</c> (docs/alerting.md): a webhook told when a sync starts needing attention (a failed run, a threshold of
/// <c>attention:</c> crossed — the reasons of <c>sluice status</c>), when its reasons change, and when it recovers; once
/// per change, by whichever <c>sluice run</c> process sees it first.
/// </summary>
public sealed class NotifyOptions
{
    /// <summary>The default <c>every:</c>.</summary>
    public static readonly TimeSpan DefaultEvery = TimeSpan.FromSeconds(30);

    /// <summary>The webhook's URL (<c>url:</c>, as <c>${VAR}</c>: a Slack webhook URL is itself the credential).</summary>
    public required Secret Url { get; init; }

    /// <summary><c>format:</c> <c>slack</c> (default) or <c>json</c>.</summary>
    public NotifyFormat Format { get; init; } = NotifyFormat.Slack;

    /// <summary>How often each sync's health is checked (<c>every:</c>, default 30 s).</summary>
    public TimeSpan Every { get; init; } = DefaultEvery;

    /// <summary>The config's <c>notify:</c>, bound and checked; null when there is none.</summary>
    public static NotifyOptions? Bind(SluiceConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Notify is not { } s)
        {
            return null;
        }

        var url = s.GetSecret("url") ?? throw new ConfigException(s.LocationOf("url"), "notify: has no url",
            "add 'url: ${SLACK_WEBHOOK_URL}' (the webhook's URL, from the environment)");
        if (!Uri.TryCreate(url.Reveal(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new ConfigException(s.LocationOf("url"), $"notify.url {s.Show("url")} is not an http(s) URL", "give the webhook's full URL, e.g. https://hooks.slack.com/services/…");
        }

        var every = s.GetDuration("every") ?? DefaultEvery;
        if (every < TimeSpan.FromSeconds(1))
        {
            throw new ConfigException(s.LocationOf("every"), "notify.every must be at least 1s", "e.g. 'every: 30s'");
        }

        var options = new NotifyOptions { Url = url, Format = s.GetEnum<NotifyFormat>("format") ?? NotifyFormat.Slack, Every = every };
        s.RejectUnknownKeys();
        return options;
    }
}
