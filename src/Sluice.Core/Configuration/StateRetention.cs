namespace Sluice.Core.Configuration;

/// <summary>
/// <c>state.retention:</c>, how long the state store keeps history (docs/retention.md). Each is a duration
/// (<c>90d</c>, <c>12h</c>) or <c>forever</c> (null: never pruned). Only history goes: what the engine needs to not send
/// a record twice (checkpoints, the record ledger's fingerprints and destination ids) is never pruned by age.
/// </summary>
/// <param name="Ledger">The send ledger (<c>send_ledger</c>): each acknowledged batch's keys and message ids, which <c>sluice explain</c> shows. Default 90 days.</param>
/// <param name="Runs">Runs and their batches (<c>runs</c>, <c>run_batches</c>); each sync's latest run and the run its checkpoint names stay. Default 30 days.</param>
/// <param name="DeadLetters">Dead letters already replayed or dropped, and released quarantine entries (unresolved ones stay until resolved). Default 30 days.</param>
/// <param name="Audit">The audit log (<c>audit_log</c>). Default 365 days.</param>
/// <param name="Records">Record-ledger entries with nothing to remember (no fingerprint, no destination id; see docs/state.md). Default 30 days.</param>
public sealed record StateRetention(TimeSpan? Ledger, TimeSpan? Runs, TimeSpan? DeadLetters, TimeSpan? Audit, TimeSpan? Records)
{
    /// <summary>The defaults, for a config without <c>state.retention:</c>.</summary>
    public static StateRetention Default { get; } = new(TimeSpan.FromDays(90), TimeSpan.FromDays(30), TimeSpan.FromDays(30), TimeSpan.FromDays(365), TimeSpan.FromDays(30));

    /// <summary>Reads <c>state.retention:</c>; every key is optional and falls back to <see cref="Default"/>.</summary>
    public static StateRetention Bind(ConfigSection? section)
    {
        if (section is null)
        {
            return Default;
        }

        var retention = new StateRetention(
            Read(section, "ledger", Default.Ledger),
            Read(section, "runs", Default.Runs),
            Read(section, "dead_letters", Default.DeadLetters),
            Read(section, "audit", Default.Audit),
            Read(section, "records", Default.Records));
        section.RejectUnknownKeys();
        return retention;
    }

    private static TimeSpan? Read(ConfigSection section, string key, TimeSpan? fallback)
    {
        var text = section.GetString(key)?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        if (text == "forever")
        {
            return null;
        }

        if (!DurationParser.TryParse(text, out var duration) || duration < TimeSpan.FromHours(1))
        {
            throw new ConfigException(
                section.LocationOf(key),
                $"'{key}' must be a duration of an hour or more, or forever; not {section.Show(key)}",
                $"write e.g. '{key}: {(fallback is { } d ? $"{d.TotalDays:0}d" : "90d")}' ({DurationParser.Units}), or 'forever' to keep it all");
        }

        return duration;
    }
}
