using Sluice.Core.Configuration;
using Sluice.Core.Mapping.Internal;
using Sluice.Core.Records;

namespace Sluice.Core.Mapping;

/// <summary>
/// A sync's mapping checked against the source's columns and the destination's shape, and turned
/// into ordinals so that encoding a record is array indexing. Only mapped columns are ever read:
/// the mapping is the allowlist of what leaves the database. A field marked <c>drop: true</c> is
/// checked but left out of <see cref="Fields"/>, and its column is not read for it.
/// </summary>
public sealed class CompiledMapping
{
    private readonly Dictionary<string, CompiledField> _byTarget;

    private CompiledMapping(IReadOnlyList<CompiledField> fields, IReadOnlyList<string> columns, IReadOnlyList<SentField> sentFields)
    {
        Fields = fields;
        Columns = columns;
        SentFields = sentFields;
        _byTarget = fields.ToDictionary(f => f.Target, StringComparer.Ordinal);
    }

    /// <summary>Top-level fields in mapping order.</summary>
    public IReadOnlyList<CompiledField> Fields { get; }

    /// <summary>The source columns to read, each once, in the order <c>Change.Values</c> holds them.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>
    /// What leaves the database, for the audit log: every leaf as <c>traits.email ← email (hash)</c>, then the
    /// columns the destination reads itself (<see cref="MappingShape.ExtraColumns"/>). Names only, never values.
    /// </summary>
    public IReadOnlyList<SentField> SentFields { get; }

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

        if (!spec.Declared && (shape.Targets.Any(t => t.Required) || shape.AnyOf.Count > 0))
        {
            throw new ConfigException(spec.Location, "missing required key 'mapping'",
                $"add `mapping:` with the fields {shape.DestinationName} needs as `target: column`, e.g. `{(shape.AnyOf.Count > 0 ? shape.AnyOf[0][0] : shape.Targets.First(t => t.Required).Name)}: id`");
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

            if (CompileField(field, schema, OrdinalOf) is { } compiled)
            {
                fields.Add(compiled);
            }
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

        var sent = new List<SentField>();
        AddSentFields(sent, fields, prefix: "");
        foreach (var (column, location) in shape.ExtraColumns)
        {
            var found = schema.Find(column) ?? throw new ConfigException(location,
                $"column '{column}' does not exist in {schema.ObjectName}", Suggest(column, schema.Columns.Select(c => c.Name), "columns"));
            OrdinalOf(found.Name);
            if (!sent.Any(f => f.Target is null && f.Column == found.Name))
            {
                sent.Add(new SentField(null, found.Name, null));
            }
        }

        foreach (var extra in extraColumns ?? [])
        {
            OrdinalOf(extra);
        }

        return new CompiledMapping(fields, columns, sent);
    }

    /// <summary>The field, or null when it is dropped (a branch whose every field is dropped is dropped too).</summary>
    private static CompiledField? CompileField(FieldSpec field, SourceSchema schema, Func<string, int> ordinalOf)
    {
        if (field.Children is not null)
        {
            if (field.Children.Count == 0)
            {
                throw new ConfigException(field.Location, $"'{field.Target}' maps no fields", "map at least one column or remove it");
            }

            var children = new List<CompiledField>(field.Children.Count);
            foreach (var child in field.Children)
            {
                if (CompileField(child, schema, ordinalOf) is { } compiled)
                {
                    children.Add(compiled);
                }
            }

            return children.Count == 0 ? null : CompiledField.Branch(field.Target, children);
        }

        var columnName = field.Column ?? throw new ConfigException(field.Location, $"'{field.Target}' names no column", $"write '{field.Target}: <column>'");
        var column = schema.Find(columnName) ?? throw new ConfigException(
            field.Location,
            $"column '{columnName}' does not exist in {schema.ObjectName}",
            Suggest(columnName, schema.Columns.Select(c => c.Name), "columns"));

        // Options are read after the column is found: normalize needs its type. A dropped field's column is
        // still checked (the mapping stays an accurate document) but never read.
        var transform = FieldOptions.Read(field, column, out var dropped);
        return dropped ? null : CompiledField.Leaf(field.Target, ordinalOf(column.Name), column, transform);
    }

    private static void AddSentFields(List<SentField> into, IReadOnlyList<CompiledField> fields, string prefix)
    {
        foreach (var field in fields)
        {
            var path = prefix + field.Target;
            if (field.IsBranch)
            {
                AddSentFields(into, field.Children!, path + ".");
            }
            else
            {
                into.Add(new SentField(path, field.Column!.Name, field.Transform));
            }
        }
    }

    private static string Suggest(string input, IEnumerable<string> candidates, string what)
    {
        var list = candidates.ToList();
        var closest = NameSuggestions.Closest(input, list);
        var all = $"{what}: {string.Join(", ", list.Take(30))}{(list.Count > 30 ? ", …" : "")}";
        return closest is null ? all : $"did you mean '{closest}'? ({all})";
    }
}
