using Sluice.Core.Mapping;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// The columns a batch stages, in order, each with its staging type; the key column among them. Built once per
/// compiled mapping (or from a replayed dead letter's payload, which carries it).
/// </summary>
internal sealed class RecordsLayout
{
    public RecordsLayout(IReadOnlyList<(string Column, StagingType Type)> columns, string key)
    {
        Columns = columns;
        KeyIndex = columns.Select(c => c.Column).ToList().IndexOf(key);
        Signature = string.Join("\u0001", columns.Select(c => c.Column + "\u0002" + c.Type.Name));
    }

    public IReadOnlyList<(string Column, StagingType Type)> Columns { get; }

    /// <summary>Where the key column is in <see cref="Columns"/>; -1 when a replayed payload lacks it.</summary>
    public int KeyIndex { get; }

    /// <summary>Equal for layouts that stage the same columns as the same types.</summary>
    public string Signature { get; }

    /// <summary>The fields of <paramref name="mapping"/>, in order: each a column of the records table.</summary>
    public static (RecordsLayout Layout, IReadOnlyList<CompiledField> Fields) Of(CompiledMapping mapping, string key)
    {
        var fields = mapping.Fields.Where(f => !f.IsBranch).ToList();
        return (new RecordsLayout([.. fields.Select(f => (f.Target, StagingType.Of(f)))], key), fields);
    }
}
