using Sluice.Core.Engine;
using Sluice.Core.Engine.Processing;
using Sluice.Core.Records;

namespace Sluice.Core.Configuration;

/// <summary>Reads a sync's engine settings (<c>batch:</c>, <c>retry:</c>, <c>on:</c>, <c>reconcile:</c>) from its config.</summary>
public static class SyncOptions
{
    public static SyncRunOptions Bind(SyncConfig sync)
    {
        var batch = sync.Section.GetSection("batch");
        var retry = sync.Section.GetSection("retry");
        var defaults = new RetryOptions();
        var options = new SyncRunOptions
        {
            BatchSize = batch?.GetInt("size", 1, 100_000),
            FlushWindow = batch?.GetDuration("flush_window"),
            Retry = new RetryOptions
            {
                MaxAttempts = retry?.GetInt("max_attempts", 1, 1000) ?? defaults.MaxAttempts,
                BaseDelay = retry?.GetDuration("base_delay") ?? defaults.BaseDelay,
                MaxDelay = retry?.GetDuration("max_delay") ?? defaults.MaxDelay,
            },
            On = On(sync.Section) ?? ModeOn(sync.Destination),
            OnLocation = sync.Section.Has("on") ? sync.Section.LocationOf("on") : sync.Destination.Has("mode") ? sync.Destination.LocationOf("mode") : null,
            MaxRejected = RejectionLimit.Bind(sync.Section),
            MaxWait = MaxWait(sync.Section),
            Reconcile = Reconcile.Parse(sync),
            ReconcileLocation = sync.Section.Has("reconcile") ? sync.Section.LocationOf("reconcile") : null,
        };
        batch?.RejectUnknownKeys();
        retry?.RejectUnknownKeys();
        sync.Section.RejectUnknownKeys(["source", "destination", "mapping", "schedule", "batch", "retry", "on", "max_rejected", "max_wait", "reconcile", "write_back", "validate", "lookup", "attention", "two_way"]);
        return options;
    }

    /// <summary>
    /// Without <c>on:</c>, the destination's sync mode (<c>destination: {mode: sync}</c>, Grouparoo's words) says which
    /// changes are sent: <c>sync</c> deletes too; <c>additive</c>, <c>enrich</c> (the destination decides what it
    /// updates) and no mode send added and changed records. The destination reads the mode itself for the rest.
    /// </summary>
    private static ChangeKinds ModeOn(ConfigSection destination) =>
        string.Equals(destination.GetString("mode")?.Trim(), "sync", StringComparison.OrdinalIgnoreCase)
            ? ChangeKinds.AddedOrChanged | ChangeKinds.Deleted
            : ChangeKinds.AddedOrChanged;

    /// <summary><c>max_wait: 7d</c>: how long a waiting record is offered again before it becomes a dead letter.</summary>
    private static TimeSpan MaxWait(ConfigSection section)
    {
        var wait = section.GetDuration("max_wait") ?? SyncRunOptions.DefaultMaxWait;
        if (wait <= TimeSpan.Zero)
        {
            throw new ConfigException(section.LocationOf("max_wait"), "'max_wait' must be longer than 0: a waiting record would become a dead letter before it is offered again",
                "write how long a record may wait for what it needs, e.g. 'max_wait: 7d' (the default)");
        }

        return wait;
    }

    /// <summary><c>on: [added, changed, deleted]</c> (any of them, or one as a single value); null when the sync does not say.</summary>
    private static ChangeKinds? On(ConfigSection section)
    {
        var names = section.GetStringList("on");
        if (names is null)
        {
            return null;
        }

        const string Fix = "write 'on: [added, changed]' (the default), or any of added, changed, deleted";
        if (names.Count == 0)
        {
            throw new ConfigException(section.LocationOf("on"), "'on' lists no kind of change, so the sync would send nothing", Fix);
        }

        var kinds = ChangeKinds.None;
        foreach (var name in names)
        {
            kinds |= name.Trim().ToLowerInvariant() switch
            {
                "added" => ChangeKinds.Added,
                "changed" => ChangeKinds.Changed,
                "deleted" => ChangeKinds.Deleted,
                _ => throw new ConfigException(section.LocationOf("on"), $"'on' takes added, changed or deleted, not {section.Show("on", $"'{name}'")}",
                    NameSuggestions.Closest(name.Trim(), ["added", "changed", "deleted"]) is { } closest ? $"did you mean '{closest}'?" : Fix),
            };
        }

        return kinds;
    }
}
