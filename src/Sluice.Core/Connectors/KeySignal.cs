namespace Sluice.Core.Connectors;

/// <summary>
/// One key of a <see cref="IKeySignalRead"/>: the record's key, whether the source vouches that its row is the very
/// version the sync's last complete read handled, and the source's own handle to fetch the row by.
/// </summary>
/// <param name="Key">The record key as text, as <c>Change.Key</c>.</param>
/// <param name="Unchanged">
/// True only when the row cannot have changed since the source's last complete read (for PostgreSQL: its <c>xmin</c>
/// committed before that read's snapshot). A false "unchanged" would lose a change, so a source says true only when it
/// is sure; false costs only a fetch and a fingerprint.
/// </param>
/// <param name="Handle">The source's handle for <see cref="IKeySignalRead.FetchAsync"/> (a PostgreSQL row's <c>ctid</c>).</param>
public readonly record struct KeySignal(string Key, bool Unchanged, long Handle);
