using Sluice.Core.Configuration;

namespace Sluice.State.Ingest;

/// <summary>
/// A <c>type: ingest</c> connection: a source of events sent to Sluice's ingest API with its write key, kept in the
/// state store's ingest queue for <see cref="Retention"/>.
/// </summary>
public sealed class IngestConnectionOptions
{
    /// <summary>Default retention: a week, long enough to ride out a destination's weekend outage.</summary>
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(7);

    public required string Name { get; init; }

    /// <summary>The key senders authenticate with (<c>write_key:</c>, required).</summary>
    public required Secret WriteKey { get; init; }

    /// <summary>
    /// How long the queue keeps an event (<c>retention:</c>, default 7d). An older event is dropped once every sync
    /// of the config that reads this source has read it; until then it is held back (docs/ingest.md, "Retention guarantees").
    /// </summary>
    public TimeSpan Retention { get; init; } = DefaultRetention;

    /// <summary>
    /// The most events the queue keeps for this source (<c>max_backlog:</c>), read or not: the only way an unread
    /// event is ever deleted, and each one is counted as lost. Null (the default): no cap, a stopped sync holds
    /// events back for as long as it stays in the config.
    /// </summary>
    public long? MaxBacklog { get; init; }

    public static IngestConnectionOptions Bind(ConnectionConfig config)
    {
        var s = config.Settings;
        var writeKey = s.GetSecret("write_key") ?? throw new ConfigException(
            s.LocationOf("write_key"),
            $"ingest source '{config.Name}' has no write_key",
            "set 'write_key: ${WEB_WRITE_KEY}' (a long random value senders authenticate with) and export that variable");
        var retention = s.GetDuration("retention") ?? DefaultRetention;
        if (retention <= TimeSpan.Zero)
        {
            throw new ConfigException(s.LocationOf("retention"), $"'retention' of ingest source '{config.Name}' must be longer than zero", "write how long to keep events, e.g. 'retention: 7d'");
        }

        var maxBacklog = s.GetInt("max_backlog", min: 1);
        s.RejectUnknownKeys(["type"]);
        return new IngestConnectionOptions { Name = config.Name, WriteKey = writeKey, Retention = retention, MaxBacklog = maxBacklog };
    }
}
