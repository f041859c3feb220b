using System.Text.Json;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine.Diffing;

/// <summary>
/// The change of a record a diffed source no longer returns. Only its key is known, so the key columns the
/// sync reads hold the key's text (each part of a composite key) and every other column is NULL; the watched
/// values stored for the record come along as <see cref="Change.Previous"/>. A destination that maps a delete
/// to a call (Segment's <c>on_delete</c>) identifies the record by its key columns.
/// </summary>
internal sealed class DeletedRecords
{
    private readonly int _width;
    private readonly bool _composite;
    private readonly (int Ordinal, int Part)[] _keyColumns;
    private readonly Func<string, SourcePosition> _positionAfter;

    public DeletedRecords(IReadOnlyList<string> key, IReadOnlyList<string> columns, Func<string, SourcePosition> positionAfter)
    {
        _positionAfter = positionAfter;
        _width = columns.Count;
        _composite = key.Count > 1;
        _keyColumns = key.Select((name, part) => (Ordinal: IndexOf(columns, name), Part: part)).Where(c => c.Ordinal >= 0).ToArray();
    }

    public Change Change(RecordState gone)
    {
        var values = new object?[_width];
        if (_keyColumns.Length > 0)
        {
            var parts = _composite ? Parts(gone.Key) : [gone.Key];
            foreach (var (ordinal, part) in _keyColumns)
            {
                values[ordinal] = part < parts.Count ? parts[part] : null;
            }
        }

        return new Change(gone.Key, ChangeOperation.Delete, values, _positionAfter(gone.Key))
        {
            Kind = ChangeKinds.Deleted,
            Previous = gone.Values,
            StoredAt = gone.StoredAt,
        };
    }

    private static int IndexOf(IReadOnlyList<string> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i] == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A composite key is the JSON array of its columns' texts (<see cref="Connectors.SourceDiff"/>).</summary>
    private static List<string?> Parts(string key)
    {
        using var document = JsonDocument.Parse(key);
        return document.RootElement.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? null : e.GetString()).ToList();
    }
}
