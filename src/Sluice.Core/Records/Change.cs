namespace Sluice.Core.Records;

/// <summary>
/// One change read from a source: the record's key, what happened to it, its field values
/// (aligned with the columns the source was asked to read) and the position just after it.
/// </summary>
/// <remarks>
/// A change is a class with an array rather than a dictionary so that a sync of millions of rows
/// allocates one small object and one array per row, and mapping indexes by ordinal.
/// </remarks>
public sealed class Change(string key, ChangeOperation operation, object?[] values, SourcePosition position)
{
    /// <summary>The record key as text: one column's value, or several joined unambiguously.</summary>
    public string Key { get; } = key;

    public ChangeOperation Operation { get; } = operation;

    /// <summary>Values in the order of <see cref="ReadRequest.Columns"/>; <c>null</c> is SQL NULL.</summary>
    public object?[] Values { get; } = values;

    /// <summary>Where the source stands once this change has been delivered.</summary>
    public SourcePosition Position { get; } = position;
}
