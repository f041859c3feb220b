using Sluice.Core.Records;

namespace Sluice.Core.Mapping;

/// <summary>
/// A mapping entry resolved against the source: a leaf reads <c>Change.Values[Ordinal]</c>;
/// a branch is a nested object of <see cref="Children"/>.
/// </summary>
public sealed class CompiledField
{
    private CompiledField(string target, int ordinal, SourceColumn? column, IReadOnlyList<CompiledField>? children)
    {
        Target = target;
        Ordinal = ordinal;
        Column = column;
        Children = children;
    }

    public string Target { get; }

    /// <summary>Index into <c>Change.Values</c>; -1 for a branch.</summary>
    public int Ordinal { get; }

    public SourceColumn? Column { get; }

    public IReadOnlyList<CompiledField>? Children { get; }

    public bool IsBranch => Children is not null;

    /// <summary>
    /// The value this leaf sends for <paramref name="change"/>: the column's value after the field's
    /// transforms. Encoders read values only through here, so a transform can never be bypassed.
    /// </summary>
    public object? Read(Change change) => change.Values[Ordinal];

    public static CompiledField Leaf(string target, int ordinal, SourceColumn column) => new(target, ordinal, column, null);

    public static CompiledField Branch(string target, IReadOnlyList<CompiledField> children) => new(target, -1, null, children);
}
