using System.Text.Json;
using Sluice.Postgres.Destinations.Warehouse.Internal;

namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// Segment's flattening (segment-docs <c>storage/warehouses/schema.md</c>, "nested objects and arrays"): nested
/// objects become columns whose names are the keys joined with <c>_</c> and then named by
/// <see cref="WarehouseNames.Column"/> (<c>context.library.name</c> → <c>context_library_name</c>,
/// <c>traits.address.street</c> → <c>address_street</c>); arrays are stringified into one column as JSON; a null
/// value makes no column. Fields that may not have their column are returned as <see cref="RejectedField"/>s
/// rather than dropped silently, and so is a field whose key is not text (a lone UTF-16 surrogate such as
/// <c>"\udc00"</c>, which no column name can stand for): it goes to <c>discards</c> under its key as sent, and the
/// event still lands. Nothing in here throws for anything a valid JSON object can hold.
/// </summary>
internal static class EventFlattener
{
    /// <summary>
    /// Flattens the object <paramref name="source"/>.
    /// </summary>
    /// <param name="source">Properties, traits or context. Null or absent gives nothing; any other non-object is
    /// rejected whole.</param>
    /// <param name="columnPrefix">Prepended to every key path before naming: <c>context</c> for the context,
    /// <see langword="null"/> for properties and traits, which are un-prefixed.</param>
    /// <param name="isReserved">Columns this object may not write (Segment's reserved columns); such a field is
    /// rejected. Null reserves nothing.</param>
    /// <param name="sourceName">How paths are shown in reasons: <c>properties</c>, <c>traits</c>, <c>context</c>.</param>
    public static FlattenedFields Flatten(
        JsonElement source,
        string? columnPrefix,
        Func<string, bool>? isReserved,
        string sourceName)
    {
        var cells = new List<WarehouseCell>();
        var rejected = new List<RejectedField>();
        if (source.ValueKind is JsonValueKind.Object)
        {
            var owners = new Dictionary<string, FieldPath>(StringComparer.Ordinal);
            Walk(source, columnPrefix, sourceName, isReserved, cells, rejected, owners);
        }
        else if (source.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            var raw = WarehouseTypes.AsText(source) ?? "";
            rejected.Add(new RejectedField(columnPrefix ?? sourceName, sourceName, raw, $"{sourceName} is not an object"));
        }

        return new FlattenedFields(cells, rejected);
    }

    private static void Walk(
        JsonElement obj,
        string? keyPrefix,
        string pathPrefix,
        Func<string, bool>? isReserved,
        List<WarehouseCell> cells,
        List<RejectedField> rejected,
        Dictionary<string, FieldPath> owners)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (!JsonText.TryGetName(property, out var name))
            {
                var sent = JsonText.RawName(property);
                var keyAsSent = keyPrefix is null ? sent : keyPrefix + "_" + sent;
                var value = WarehouseTypes.AsText(property.Value) ?? "null";
                rejected.Add(new RejectedField(keyAsSent, pathPrefix + "." + sent, value,
                    $"the key {pathPrefix}.{sent} is not valid Unicode (a lone UTF-16 surrogate), so no column can be named after it"));
                continue;
            }

            var key = keyPrefix is null ? name : keyPrefix + "_" + name;
            if (property.Value.ValueKind is JsonValueKind.Object)
            {
                Walk(property.Value, key, pathPrefix + "." + name, isReserved, cells, rejected, owners);
                continue;
            }

            // The path is spelled out only for a reason; the owner map keeps it for a later field's reason.
            var column = WarehouseNames.Column(key);
            if (WarehouseTypes.Infer(column, property.Value) is not { } cell)
            {
                continue;
            }

            if (isReserved?.Invoke(column) == true)
            {
                var path = pathPrefix + "." + name;
                rejected.Add(new RejectedField(column, path, cell.Raw, $"{path} maps to the reserved column {column}"));
            }
            else if (owners.TryGetValue(column, out var owner))
            {
                var path = pathPrefix + "." + name;
                rejected.Add(new RejectedField(column, path, cell.Raw, $"{path} maps to the column {column}, already taken by {owner}"));
            }
            else
            {
                owners.Add(column, new FieldPath(pathPrefix, name));
                cells.Add(cell);
            }
        }
    }

    /// <summary>Where a field was (<c>properties.a.b</c>), kept as its parts until a reason has to name it.</summary>
    private readonly record struct FieldPath(string Prefix, string Name)
    {
        public override string ToString() => Prefix + "." + Name;
    }
}
