using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>Records as REST returns them: <c>attributes</c> (type, url) first, then fields in describe order.</summary>
internal static class RecordJson
{
    public static JsonObject Write(SObjectRecord record, string basePath, IReadOnlyList<FieldSchema>? fields = null)
    {
        var json = new JsonObject { ["attributes"] = Attributes(record.Schema, record.Id, basePath) };
        foreach (var field in fields ?? record.Schema.Fields)
        {
            json[field.Name] = FieldValues.ToJson(field, record.Values.GetValueOrDefault(field.Name));
        }

        return json;
    }

    public static JsonObject Attributes(SObjectSchema schema, string id, string basePath) => new()
    {
        ["type"] = schema.Name,
        ["url"] = $"{basePath}/sobjects/{schema.Name}/{id}",
    };

    /// <summary>Resolves a <c>fields=A,B</c> list; null with the unknown name when one does not exist.</summary>
    public static IReadOnlyList<FieldSchema>? SelectFields(SObjectSchema schema, string list, out string? unknown)
    {
        unknown = null;
        if (string.IsNullOrWhiteSpace(list))
        {
            return schema.Fields;
        }

        var selected = new List<FieldSchema>();
        foreach (var name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!schema.TryGetField(name, out var field))
            {
                unknown = name;
                return null;
            }

            selected.Add(field);
        }

        return selected;
    }

    /// <summary>The body's fields in order, as the save path takes them.</summary>
    public static List<KeyValuePair<string, JsonNode?>> Fields(JsonObject body) =>
        [.. body.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))];
}
