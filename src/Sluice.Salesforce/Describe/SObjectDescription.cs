using System.Text.Json;
using Sluice.Salesforce.Connection;

namespace Sluice.Salesforce.Describe;

/// <summary>An sObject's describe (<c>GET /sobjects/{Object}/describe</c>): its fields by name and what the user may do.</summary>
internal sealed class SObjectDescription
{
    private SObjectDescription(string name, bool createable, bool updateable, bool deletable, IReadOnlyList<FieldDescription> fields)
    {
        Name = name;
        Createable = createable;
        Updateable = updateable;
        Deletable = deletable;
        Fields = fields;
        ByName = fields.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
        ByRelationship = fields.Where(f => f.RelationshipName is not null)
            .GroupBy(f => f.RelationshipName!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
    }

    public string Name { get; }

    public bool Createable { get; }

    public bool Updateable { get; }

    public bool Deletable { get; }

    public IReadOnlyList<FieldDescription> Fields { get; }

    public IReadOnlyDictionary<string, FieldDescription> ByName { get; }

    /// <summary>Reference fields by their relationship name (<c>Account</c> for <c>AccountId</c>).</summary>
    public IReadOnlyDictionary<string, FieldDescription> ByRelationship { get; }

    public static SObjectDescription Parse(JsonElement root) => new(
        root.GetProperty("name").GetString()!,
        root.TryGetProperty("createable", out var c) && c.ValueKind == JsonValueKind.True,
        root.TryGetProperty("updateable", out var u) && u.ValueKind == JsonValueKind.True,
        root.TryGetProperty("deletable", out var d) && d.ValueKind == JsonValueKind.True,
        root.GetProperty("fields").EnumerateArray().Select(FieldDescription.From).ToList());

    public static async Task<SObjectDescription> LoadAsync(SalesforceClient client, string objectName, CancellationToken ct)
    {
        using var json = await client.GetJsonAsync($"sobjects/{Uri.EscapeDataString(objectName)}/describe", ct);
        return Parse(json.RootElement);
    }
}
