namespace Sluice.Core.Records;

/// <summary>What <c>Discover</c> found: the columns of a source, in the order the source returns them.</summary>
public sealed class SourceSchema
{
    private readonly Dictionary<string, int> _ordinals;

    public SourceSchema(string objectName, IReadOnlyList<SourceColumn> columns, IReadOnlyList<string> keyColumns)
    {
        ObjectName = objectName;
        Columns = columns;
        KeyColumns = keyColumns;
        _ordinals = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            _ordinals[columns[i].Name] = i;
        }
    }

    /// <summary>What a user would call the source in a message, e.g. <c>public.users</c>.</summary>
    public string ObjectName { get; }

    public IReadOnlyList<SourceColumn> Columns { get; }

    public IReadOnlyList<string> KeyColumns { get; }

    public bool TryGetOrdinal(string column, out int ordinal) => _ordinals.TryGetValue(column, out ordinal);

    public SourceColumn? Find(string column) => _ordinals.TryGetValue(column, out var i) ? Columns[i] : null;
}
