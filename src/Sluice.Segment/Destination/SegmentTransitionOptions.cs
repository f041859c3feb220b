using Sluice.Core.Configuration;
using Sluice.Core.Records;

namespace Sluice.Segment.Destination;

/// <summary>
/// A track call's <c>transition:</c> (S2): the event fires only when <see cref="Column"/>'s value moved, from one of
/// <see cref="From"/> to one of <see cref="To"/> (either may be left out: any value), and carries the value it
/// moved from as <c>properties.</c><see cref="PreviousProperty"/>. Needs a source that diffs: the previous value is
/// stored with each record's fingerprint.
/// </summary>
public sealed class SegmentTransitionOptions
{
    /// <summary>The watched column, e.g. <c>status</c>.</summary>
    public required string Column { get; init; }

    /// <summary>Values the column must move from, compared as PostgreSQL writes them as text; null: any value.</summary>
    public IReadOnlyList<string>? From { get; init; }

    /// <summary>Values the column must move to; null: any value.</summary>
    public IReadOnlyList<string>? To { get; init; }

    /// <summary>The property that carries the value the column moved from. Default <c>previous_</c> and the column's name.</summary>
    public required string PreviousProperty { get; init; }

    /// <summary>Where <c>transition:</c> was configured, for errors; null when the options are built in code.</summary>
    public ConfigLocation? Location { get; init; }

    /// <summary>
    /// Whether <paramref name="change"/> makes the transition: the sync stored a value for the column before, it
    /// differs from the value now, and both are among the given ones. A record without a stored value (a first run,
    /// a new record) makes none: it only sets what the next change is compared with.
    /// </summary>
    public bool IsMadeBy(Change change)
    {
        if (change.Previous is null || !change.Previous.TryGetValue(Column, out var before)
            || change.Watched is null || !change.Watched.TryGetValue(Column, out var now)
            || string.Equals(before, now, StringComparison.Ordinal))
        {
            return false;
        }

        return (From is null || (before is not null && From.Contains(before, StringComparer.Ordinal)))
            && (To is null || (now is not null && To.Contains(now, StringComparer.Ordinal)));
    }

    internal static SegmentTransitionOptions Bind(ConfigSection transition)
    {
        var column = transition.RequireString("column", "name the column whose change fires the event, e.g. 'column: status'");
        var from = transition.GetStringList("from");
        var to = transition.GetStringList("to");
        if (from is [var only] && to is [var same] && only == same)
        {
            throw new ConfigException(transition.LocationOf("to"), $"the transition goes from {transition.Show("from", $"'{only}'")} to {transition.Show("to", $"'{same}'")}, so the value never moves and the event never fires",
                "name the value it moves to, e.g. 'from: trial, to: paid'");
        }

        var previous = transition.GetString("previous") ?? $"previous_{column}";
        if (previous.Length == 0)
        {
            throw new ConfigException(transition.LocationOf("previous"), "'previous' is empty", $"name the property that carries the old value, e.g. 'previous: previous_{column}'");
        }

        var options = new SegmentTransitionOptions { Column = column, From = from, To = to, PreviousProperty = previous, Location = transition.Location };
        transition.RejectUnknownKeys();
        return options;
    }
}
