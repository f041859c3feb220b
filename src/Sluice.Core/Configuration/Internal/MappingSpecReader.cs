using Sluice.Core.Mapping;

namespace Sluice.Core.Configuration.Internal;

/// <summary>
/// Reads a sync's <c>mapping:</c>: <c>target: column</c> leaves, <c>target: {column: x, …}</c>
/// leaves with options, and nested mappings as branches (Segment's <c>traits</c>).
/// </summary>
internal static class MappingSpecReader
{
    public static MappingSpec Read(ConfigSection mapping) => new(ReadFields(mapping), mapping.Location);

    private static List<FieldSpec> ReadFields(ConfigSection section)
    {
        if (section.Keys.Count == 0)
        {
            var name = section.Path[(section.Path.LastIndexOf('.') + 1)..];
            throw new ConfigException(
                section.Location,
                $"'{name}' is empty",
                "map at least one field as `target: column`, e.g. `email: email`");
        }

        var fields = new List<FieldSpec>(section.Keys.Count);
        foreach (var target in section.Keys)
        {
            if (string.IsNullOrWhiteSpace(target))
            {
                throw new ConfigException(section.KeyLocation(target), "a target name is empty", "write the target field's name before the ':'");
            }

            fields.Add(section.KindOf(target) switch
            {
                ValueKind.Scalar => new FieldSpec(
                    target,
                    section.RequireString(target, $"name the source column to send as '{target}'"),
                    null,
                    section.LocationOf(target)),
                ValueKind.Mapping => ReadMapping(section, target),
                ValueKind.List => throw new ConfigException(
                    section.LocationOf(target),
                    $"'{target}' must be a source column or a nested mapping, not a list",
                    $"write `{target}: <column>`, or indent the fields of a nested '{target}' object below it"),
                _ => throw new ConfigException(
                    section.KeyLocation(target),
                    $"'{target}' has no source column",
                    $"write `{target}: <column>`, e.g. `{target}: {target}`"),
            });
        }

        return fields;
    }

    private static FieldSpec ReadMapping(ConfigSection parent, string target)
    {
        var section = parent.GetSection(target)!;
        var location = parent.LocationOf(target);
        if (section.KindOf("column") == ValueKind.Absent)
        {
            return new FieldSpec(target, null, ReadFields(section), location);
        }

        // `{column: x, …}` is a leaf whose other keys (hash, mask, …) the mapping compiler reads.
        var column = section.RequireString("column", $"name the source column to send as '{target}'");
        return new FieldSpec(target, column, null, location) { Options = section };
    }
}
