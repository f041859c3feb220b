using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Core.Engine.Processing;

/// <summary>
/// A sync's mapping compiled over its source's columns and the columns its processors add
/// (<see cref="IEnrichingProcessor.DescribeAsync"/>), with what the source reads of them: shared by the run, the plan and the check.
/// </summary>
/// <param name="Mapping">The mapping; its <see cref="CompiledMapping.Columns"/> are the columns of an encoded record.</param>
/// <param name="SourceColumns">What the source reads: the mapping's columns less the added ones.</param>
public sealed record ProcessorColumns(CompiledMapping Mapping, IReadOnlyList<string> SourceColumns)
{
    private int[]? _positions;

    /// <summary>Whether a processor adds columns, so that records are widened before they are encoded.</summary>
    public bool Widens => SourceColumns.Count != Mapping.Columns.Count;

    /// <summary>
    /// <paramref name="change"/> with the mapping's columns: its source values where they belong, NULL in the added ones
    /// (a processor fills them); the change itself when no processor adds columns.
    /// </summary>
    public Change Widen(Change change)
    {
        if (!Widens || change.IsProgress)
        {
            return change;
        }

        _positions ??= [.. SourceColumns.Select(Mapping.OrdinalOf)];
        var values = new object?[Mapping.Columns.Count];
        if (change.Values.Length > 0)
        {
            for (var i = 0; i < _positions.Length; i++)
            {
                values[_positions[i]] = change.Values[i];
            }
        }

        return change.WithValues(values);
    }

    /// <summary>Compiles <paramref name="spec"/> over <paramref name="schema"/> and what <paramref name="processors"/> add.</summary>
    public static async Task<ProcessorColumns> CompileAsync(MappingSpec spec, SourceSchema schema, MappingShape shape, IReadOnlyList<IRecordProcessor> processors, CancellationToken ct)
    {
        var enriching = processors.OfType<IEnrichingProcessor>().ToList();
        if (enriching.Count == 0)
        {
            var plain = CompiledMapping.Compile(spec, schema, shape);
            return new ProcessorColumns(plain, plain.Columns);
        }

        var added = new HashSet<string>(StringComparer.Ordinal);
        var columns = new List<SourceColumn>(schema.Columns);
        foreach (var processor in enriching)
        {
            foreach (var read in processor.Reads.Where(r => schema.Find(r) is null))
            {
                throw SluiceException.Config($"processor '{processor.Name}' looks up by '{read}', which {schema.ObjectName} does not have; name one of its columns ({string.Join(", ", schema.Columns.Take(10).Select(c => c.Name))}…)");
            }

            foreach (var column in await processor.DescribeAsync(ct))
            {
                if (schema.Find(column.Name) is not null || !added.Add(column.Name))
                {
                    throw SluiceException.Config($"processor '{processor.Name}' adds the column '{column.Name}', which {schema.ObjectName} (or another processor) already has; rename it in the lookup's SQL (… AS other_name)");
                }

                columns.Add(column);
            }
        }

        var mapping = CompiledMapping.Compile(spec, new SourceSchema(schema.ObjectName, columns, schema.KeyColumns), shape, enriching.SelectMany(p => p.Reads.Select(r => schema.Find(r)!.Name)));
        return new ProcessorColumns(mapping, [.. mapping.Columns.Where(c => !added.Contains(c))]);
    }
}
