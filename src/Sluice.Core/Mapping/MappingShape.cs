namespace Sluice.Core.Mapping;

/// <summary>The mapping targets a destination understands; a sync's mapping is checked against it at start.</summary>
/// <param name="DestinationName">As a user would name it in a message: <c>Segment identify</c>.</param>
/// <param name="Targets">Every target the destination reads.</param>
/// <param name="AnyOf">Groups of targets of which at least one must be mapped (Segment: <c>user_id</c> or <c>anonymous_id</c>).</param>
public sealed record MappingShape(string DestinationName, IReadOnlyList<MappingTarget> Targets, IReadOnlyList<IReadOnlyList<string>> AnyOf)
{
    /// <summary>
    /// Source columns the destination reads besides the mapping (an event name templated from columns,
    /// say), each with where it was configured, for errors. Checked against the source like mapped columns.
    /// </summary>
    public IReadOnlyList<(string Column, Configuration.ConfigLocation Location)> ExtraColumns { get; init; } = [];

    /// <summary>
    /// Source columns whose previous value the destination needs (a transition's column), each with where it was
    /// configured. A diffing source stores their values with each record's fingerprint and hands the stored ones
    /// on as <c>Change.Previous</c>; a source that does not diff cannot, and the sync is refused (SyncModes).
    /// </summary>
    public IReadOnlyList<(string Column, Configuration.ConfigLocation Location)> WatchedColumns { get; init; } = [];

    public MappingTarget? Find(string name) => Targets.FirstOrDefault(t => t.Name == name);
}
