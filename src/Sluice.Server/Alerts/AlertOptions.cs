using System.Globalization;
using Sluice.Core.Configuration;

namespace Sluice.Server.Alerts;

/// <summary>
/// One entry of <c>alerts:</c> (docs/config.md, "Alerts"): a SQL metric on a PostgreSQL connection, evaluated on a
/// schedule against a threshold with a clear-at level, and the Track event fired to a Segment connection once per
/// crossing (and once per recovery when <see cref="OnRecovery"/>).
/// </summary>
public sealed class AlertOptions
{
    /// <summary>The default <c>event:</c>.</summary>
    public const string DefaultEvent = "Metric Alert";

    public required string Name { get; init; }

    /// <summary>The <c>type: postgres</c> connection the metric's SQL runs on (<c>connection:</c>).</summary>
    public required ConnectionConfig Connection { get; init; }

    /// <summary>A query returning one numeric value (<c>sql:</c>): the first column of the first row; no row or NULL is no value.</summary>
    public required string Sql { get; init; }

    /// <summary><c>schedule:</c> <c>every 5m</c> or <c>cron …</c>.</summary>
    public required Schedule Schedule { get; init; }

    public required AlertDirection Direction { get; init; }

    /// <summary>The value crossed to fire (<c>above:</c> or <c>below:</c>).</summary>
    public required double Threshold { get; init; }

    /// <summary>
    /// The value crossed back to recover (<c>clear_at:</c>, default the threshold): for <c>above: 10, clear_at: 8</c>
    /// a firing alert clears only at 8 or less, so a metric hovering around 10 does not fire again and again.
    /// </summary>
    public required double ClearAt { get; init; }

    /// <summary>The Track event's name (<c>event:</c>, default <see cref="DefaultEvent"/>).</summary>
    public string Event { get; init; } = DefaultEvent;

    /// <summary>The Track's <c>userId</c> (<c>user_id:</c>); one of it and <see cref="AnonymousId"/>.</summary>
    public string? UserId { get; init; }

    /// <summary>The Track's <c>anonymousId</c> (<c>anonymous_id:</c>).</summary>
    public string? AnonymousId { get; init; }

    /// <summary>Extra properties (<c>properties:</c>), sent as written, next to the value and the threshold.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Properties { get; init; } = [];

    /// <summary>The <c>type: segment</c> connection the event goes to (<c>destination:</c>).</summary>
    public required ConnectionConfig Destination { get; init; }

    /// <summary>Also send the event once when the value crosses back (<c>on_recovery:</c>, default false).</summary>
    public bool OnRecovery { get; init; }

    /// <summary>Every alert of <paramref name="config"/>, bound and checked; a <see cref="ConfigException"/> names the key and the fix.</summary>
    public static IReadOnlyList<AlertOptions> AllOf(SluiceConfig config) => [.. config.Alerts.Select(a => Bind(a, config))];

    public static AlertOptions Bind(AlertConfig alert, SluiceConfig config)
    {
        var s = alert.Section;
        var connection = Named(s, "connection", "postgres", config, "name the PostgreSQL connection the metric's SQL runs on, e.g. 'connection: app'");
        var destination = Named(s, "destination", "segment", config, "name the Segment connection the event is sent to, e.g. 'destination: segment'");
        var sql = s.RequireString("sql", "write the metric as a query returning one number, e.g. 'sql: SELECT count(*) FROM orders WHERE status = ''failed'''");
        if (!s.Has("schedule"))
        {
            throw new ConfigException(s.LocationOf("schedule"), $"alert '{alert.Name}' has no schedule", "add 'schedule: every 5m' (or 'cron */5 * * * *')");
        }

        var schedule = Schedule.Parse(s);
        if (schedule.Interval is null && schedule.Cron is null)
        {
            throw new ConfigException(s.LocationOf("schedule"), $"alert '{alert.Name}': schedule {s.Show("schedule")} does not repeat", "write 'every <duration>' (e.g. 'every 5m') or 'cron <minute hour day month weekday>'");
        }

        if (s.Has("above") == s.Has("below"))
        {
            throw new ConfigException(s.LocationOf(s.Has("above") ? "below" : "above"), $"alert '{alert.Name}' needs exactly one of 'above' and 'below'",
                "write 'above: 100' to fire when the value rises past 100, or 'below: 10' to fire when it falls under 10");
        }

        var direction = s.Has("above") ? AlertDirection.Above : AlertDirection.Below;
        var thresholdKey = direction == AlertDirection.Above ? "above" : "below";
        var threshold = s.GetDouble(thresholdKey)!.Value;
        var clearAt = s.GetDouble("clear_at") ?? threshold;
        if (direction == AlertDirection.Above ? clearAt > threshold : clearAt < threshold)
        {
            throw new ConfigException(s.LocationOf("clear_at"),
                string.Create(CultureInfo.InvariantCulture, $"alert '{alert.Name}': clear_at {clearAt} is on the firing side of '{thresholdKey}: {threshold}'"),
                direction == AlertDirection.Above
                    ? "clear_at is where a firing alert recovers: with 'above', write a value at or under the threshold (e.g. 'clear_at: 80' for 'above: 100')"
                    : "clear_at is where a firing alert recovers: with 'below', write a value at or over the threshold (e.g. 'clear_at: 20' for 'below: 10')");
        }

        var userId = s.GetString("user_id");
        var anonymousId = s.GetString("anonymous_id");
        if (userId is null == anonymousId is null)
        {
            throw new ConfigException(s.LocationOf(userId is null ? "user_id" : "anonymous_id"), $"alert '{alert.Name}' needs exactly one of 'user_id' and 'anonymous_id'",
                "Segment needs someone to file the Track under: write e.g. 'user_id: ops-alerts'");
        }

        var properties = new List<KeyValuePair<string, string>>();
        if (s.GetSection("properties") is { } written)
        {
            foreach (var key in written.Keys)
            {
                properties.Add(new(key, written.GetString(key) ?? ""));
            }
        }

        var options = new AlertOptions
        {
            Name = alert.Name,
            Connection = connection,
            Sql = sql,
            Schedule = schedule,
            Direction = direction,
            Threshold = threshold,
            ClearAt = clearAt,
            Event = s.GetString("event") ?? DefaultEvent,
            UserId = userId,
            AnonymousId = anonymousId,
            Properties = properties,
            Destination = destination,
            OnRecovery = s.GetBool("on_recovery") ?? false,
        };
        s.RejectUnknownKeys();
        return options;
    }

    private static ConnectionConfig Named(ConfigSection s, string key, string type, SluiceConfig config, string fix)
    {
        var name = s.RequireString(key, fix);
        var connection = config.FindConnection(name) ?? throw new ConfigException(s.LocationOf(key), $"{s.Show(key)} names no connection",
            $"declare it under 'connections:' or use one of: {string.Join(", ", config.Connections.Where(c => c.Type == type).Select(c => c.Name))}");
        return connection.Type == type ? connection
            : throw new ConfigException(s.LocationOf(key), $"{s.Show(key)} is a {connection.Type} connection; an alert's '{key}' must be a {type} connection", fix);
    }
}
