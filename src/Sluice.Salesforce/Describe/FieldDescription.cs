using System.Text.Json;

namespace Sluice.Salesforce.Describe;

/// <summary>One field of an sObject describe: what the destination needs to encode a value the org will take.</summary>
internal sealed record FieldDescription(
    string Name,
    string Type,
    int Length,
    int Precision,
    int Scale,
    bool Nillable,
    bool Createable,
    bool Updateable,
    bool ExternalId,
    bool IdLookup,
    bool RestrictedPicklist,
    IReadOnlyList<string> PicklistValues,
    IReadOnlyList<string> ReferenceTo,
    string? RelationshipName)
{
    public static FieldDescription From(JsonElement field)
    {
        static string Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        static int Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
        static bool Flag(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

        var picklist = field.TryGetProperty("picklistValues", out var values) && values.ValueKind == JsonValueKind.Array
            ? values.EnumerateArray().Where(v => !v.TryGetProperty("active", out var a) || a.ValueKind != JsonValueKind.False).Select(v => Text(v, "value")).ToList()
            : [];
        var references = field.TryGetProperty("referenceTo", out var to) && to.ValueKind == JsonValueKind.Array
            ? to.EnumerateArray().Select(r => r.GetString() ?? "").ToList()
            : [];
        var relationship = Text(field, "relationshipName");
        return new FieldDescription(
            Text(field, "name"),
            Text(field, "type"),
            Number(field, "length"),
            Number(field, "precision"),
            Number(field, "scale"),
            Flag(field, "nillable"),
            Flag(field, "createable"),
            Flag(field, "updateable"),
            Flag(field, "externalId"),
            Flag(field, "idLookup"),
            Flag(field, "restrictedPicklist"),
            picklist,
            references,
            relationship.Length == 0 ? null : relationship);
    }
}
