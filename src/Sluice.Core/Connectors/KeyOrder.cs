namespace Sluice.Core.Connectors;

/// <summary>The order in which a source whose records the engine diffs (<see cref="SourceDiff"/>) yields their keys.</summary>
public enum KeyOrder
{
    /// <summary>
    /// Any order (an HTTP API that cannot sort by byte order): the engine looks each chunk of keys up in the state
    /// database and finds deleted records there once the read has ended.
    /// </summary>
    Unsorted = 0,

    /// <summary>
    /// <see cref="State.RecordKeyOrder"/> (the order of PostgreSQL's <c>COLLATE "C"</c>), each key once: the engine
    /// merges the records with the stored ones, streamed in the same order.
    /// </summary>
    Sorted = 1,
}
