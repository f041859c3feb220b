namespace Sluice.Core.Configuration;

/// <summary>
/// A sync's <c>reconcile: every 1d</c>: how often a source that otherwise reads only what changed (a model following its
/// tables' cursors) reads every record instead, so that the engine's diff finds the records that are gone (Grouparoo's
/// "confirm records still exist"): a cursor sees no delete.
/// </summary>
public static class Reconcile
{
    /// <summary>The interval, or <c>null</c> when the sync has no <c>reconcile:</c>; a <see cref="ConfigException"/> when it is not understood.</summary>
    public static TimeSpan? Parse(SyncConfig sync)
    {
        ArgumentNullException.ThrowIfNull(sync);
        var text = sync.Section.GetString("reconcile")?.Trim();
        if (text is null)
        {
            return null;
        }

        const string Fix = "write 'reconcile: every <duration>', e.g. 'reconcile: every 1d' or 'every 12h'";
        if (!text.StartsWith("every ", StringComparison.OrdinalIgnoreCase))
        {
            throw new ConfigException(sync.Section.LocationOf("reconcile"), $"reconcile {sync.Section.Show("reconcile", $"'{text}'")} is not understood", Fix);
        }

        if (!DurationParser.TryParse(string.Concat(text[6..].Where(c => !char.IsWhiteSpace(c))), out var interval) || interval <= TimeSpan.Zero)
        {
            throw new ConfigException(sync.Section.LocationOf("reconcile"), $"reconcile {sync.Section.Show("reconcile", $"'{text}'")} is not understood", Fix);
        }

        return interval;
    }
}
