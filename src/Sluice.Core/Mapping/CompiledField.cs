using Sluice.Core.Mapping.Internal;
using Sluice.Core.Records;

namespace Sluice.Core.Mapping;

/// <summary>
/// A mapping entry resolved against the source: a leaf reads <c>Change.Values[Ordinal]</c> and applies its
/// transform (hash, mask, normalize); a branch is a nested object of <see cref="Children"/>. A field
/// marked <c>drop: true</c> is not compiled at all, so no encoder can send it.
/// </summary>
public sealed class CompiledField
{
    private readonly FieldTransform? _transform;

    private CompiledField(string target, int ordinal, SourceColumn? column, IReadOnlyList<CompiledField>? children, FieldTransform? transform)
    {
        Target = target;
        Ordinal = ordinal;
        Column = column;
        Children = children;
        _transform = transform;
    }

    public string Target { get; }

    /// <summary>Index into <c>Change.Values</c>; -1 for a branch.</summary>
    public int Ordinal { get; }

    /// <summary>
    /// The source column, typed as what <see cref="Read"/> returns: a hashed or masked value is a string, so
    /// its <see cref="SourceColumn.Type"/> is <see cref="ColumnType.Text"/> whatever the column holds
    /// (<see cref="SourceColumn.DatabaseType"/> still names the database's type). Encoders write by this type.
    /// </summary>
    public SourceColumn? Column { get; }

    public IReadOnlyList<CompiledField>? Children { get; }

    public bool IsBranch => Children is not null;

    /// <summary>What is done to the value before it is sent (<c>hash</c>, <c>mask email</c>…); null when it is sent as read.</summary>
    public string? Transform => _transform?.Description;

    /// <summary>
    /// The value this leaf sends for <paramref name="change"/>: the column's value after the field's
    /// transforms. Encoders read values only through here, so a transform can never be bypassed.
    /// NULL stays NULL; a hashed or masked value is a string.
    /// </summary>
    /// <remarks>
    /// A hashed field reuses one hash context, so one field must not be read from two threads at once:
    /// a compiled mapping belongs to one run, and that run's single encode stage reads it.
    /// </remarks>
    public object? Read(Change change) => _transform is null ? change.Values[Ordinal] : _transform.Apply(change.Values[Ordinal]);

    public static CompiledField Leaf(string target, int ordinal, SourceColumn column) => new(target, ordinal, column, null, null);

    public static CompiledField Branch(string target, IReadOnlyList<CompiledField> children) => new(target, -1, null, children, null);

    internal static CompiledField Leaf(string target, int ordinal, SourceColumn column, FieldTransform? transform) =>
        new(target, ordinal, transform is null ? column : column with { Type = ColumnType.Text }, null, transform);
}
