using Sluice.Core.Configuration;
using Sluice.Core.Records;

namespace Sluice.Core.Mapping;

/// <summary>
/// A sync's mapping checked against the source's columns and the destination's shape, and turned
/// into ordinals so that encoding a record is array indexing. Only mapped columns are ever read:
/// the mapping is the allowlist of what leaves the database.
/// </summary>
public sealed class CompiledMapping
{
    private readonly Dictionary<string, CompiledField> _byTarget;

    private CompiledMapping(IReadOnlyList<CompiledField> fields, IReadOnlyList<string> columns)
    {
        Fields = fields;
        Columns = columns;
        _byTarget = fields.ToDictionary(f => f.Target, StringComparer.Ordinal);
    }

    /// <summary>Top-level fields in mapping order.</summary>
    public IReadOnlyList<CompiledField> Fields { get; }

    /// <summary>The source columns to read, each once, in the order <c>Change.Values</c> holds them.</summary>
    public IReadOnlyList<string> Columns { get; }

    public CompiledField? this[string target] => _byTarget.GetValueOrDefault(target);

    /// <summary>Where <paramref name="column"/> is in <c>Change.Values</c>; -1 when it is not read.</summary>
    public int OrdinalOf(string column)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (Columns[i] == column)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Resolves <paramref name="spec"/>; every problem is a <see cref="ConfigException"/> pointing at the
    /// mapping line, naming the column and table, with a suggestion when one is close.
    /// </summary>
    /// <param name="extraColumns">Columns the sync needs besides the mapped ones (the key, the cursor): read too, never sent.</param>
    public static CompiledMapping Compile(MappingSpec spec, SourceSchema schema, MappingShape shape, IEnumerable<string>? extraColumns = null)
    {
        var columns = new List<string>();
        var ordinals = new Dictionary<string, int>(StringComparer.Ordinal);
        int OrdinalOf(string column)
        {
            if (!ordinals.TryGetValue(column, out var ordinal))
            {
                ordinal = columns.Count;
                columns.Add(column);
                ordinals[column] = ordinal;
            }

            return ordinal;
        }

        var fields = new List<CompiledField>();
        foreach (var field in spec.Fields)
        {
            var target = shape.Find(field.Target) ?? throw new ConfigException(
                field.Location,
                $"'{field.Target}' is not something {shape.DestinationName} accepts",
                Suggest(field.Target, shape.Targets.Select(t => t.Name), "mapping targets"));
            if (target.IsObject && field.Children is null)
            {
                throw new ConfigException(field.Location, $"'{field.Target}' is an object of named fields, not one column",
                    $"write it as a nested mapping, e.g.\n    {field.Target}:\n      email: email");
            }

            if (!target.IsObject && field.Children is not null)
            {
                throw new ConfigException(field.Location, $"'{field.Target}' takes one column, not a nested mapping",
                    $"write it as '{field.Target}: <column>'");
            }

            fields.Add(CompileField(field, schema, OrdinalOf));
        }

        foreach (var target in shape.Targets.Where(t => t.Required && fields.All(f => f.Target != t.Name)))
        {
            throw new ConfigException(spec.Location, $"{shape.DestinationName} needs '{target.Name}' ({target.Description})",
                $"add '{target.Name}: <column>' to the mapping");
        }

        foreach (var group in shape.AnyOf.Where(g => !g.Any(name => fields.Any(f => f.Target == name))))
        {
            throw new ConfigException(spec.Location, $"{shape.DestinationName} needs one of {string.Join(" or ", group.Select(n => $"'{n}'"))}",
                $"map a column to '{group[0]}', e.g. '{group[0]}: id'");
        }

        foreach (var (column, location) in shape.ExtraColumns)
        {
            var found = schema.Find(column) ?? throw new ConfigException(location,
                $"column '{column}' does not exist in {schema.ObjectName}", Suggest(column, schema.Columns.Select(c => c.Name), "columns"));
            OrdinalOf(found.Name);
        }

        foreach (var extra in extraColumns ?? [])
        {
            OrdinalOf(extra);
        }

        return new CompiledMapping(fields, columns);
    }

    private static CompiledField CompileField(FieldSpec field, SourceSchema schema, Func<string, int> ordinalOf)
    {
        if (field.Children is not null)
        {
            if (field.Children.Count == 0)
            {
                throw new ConfigException(field.Location, $"'{field.Target}' maps no fields", "map at least one column or remove it");
            }

            return CompiledField.Branch(field.Target, field.Children.Select(c => CompileField(c, schema, ordinalOf)).ToList());
        }

        var columnName = field.Column ?? throw new ConfigException(field.Location, $"'{field.Target}' names no column", $"write '{field.Target}: <column>'");

        // The long form {column: …} takes no other option yet; one that nothing applies must not pass silently
        // (a 'hash:' that is ignored would send the value in clear).
        field.Options?.RejectUnknownKeys(["column"]);
        var column = schema.Find(columnName) ?? throw new ConfigException(
            field.Location,
            $"column '{columnName}' does not exist in {schema.ObjectName}",
            Suggest(columnName, schema.Columns.Select(c => c.Name), "columns"));
        return CompiledField.Leaf(field.Target, ordinalOf(column.Name), column);
    }

    private static string Suggest(string input, IEnumerable<string> candidates, string what)
    {
        var list = candidates.ToList();
        var closest = NameSuggestions.Closest(input, list);
        var all = $"{what}: {string.Join(", ", list.Take(30))}{(list.Count > 30 ? ", …" : "")}";
        return closest is null ? all : $"did you mean '{closest}'? ({all})";
    }
}
