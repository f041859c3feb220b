using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>Describe global and sObject describe bodies (reference §2.2).</summary>
internal static class DescribeJson
{
    public static JsonObject Global(IReadOnlyList<SObjectSchema> schemas, string basePath) => new()
    {
        ["encoding"] = "UTF-8",
        ["maxBatchSize"] = 200,
        ["sobjects"] = new JsonArray([.. schemas.Select(s => (JsonNode)Summary(s, basePath))]),
    };

    public static JsonObject Summary(SObjectSchema schema, string basePath)
    {
        var url = $"{basePath}/sobjects/{schema.Name}";
        return new JsonObject
        {
            ["activateable"] = false,
            ["createable"] = true,
            ["custom"] = schema.Custom,
            ["customSetting"] = false,
            ["deletable"] = true,
            ["deprecatedAndHidden"] = false,
            ["feedEnabled"] = false,
            ["keyPrefix"] = schema.KeyPrefix,
            ["label"] = schema.Label,
            ["labelPlural"] = schema.LabelPlural,
            ["layoutable"] = true,
            ["mergeable"] = schema.Name is "Account" or "Contact" or "Lead",
            ["name"] = schema.Name,
            ["queryable"] = true,
            ["replicateable"] = true,
            ["retrieveable"] = true,
            ["searchable"] = true,
            ["triggerable"] = true,
            ["undeletable"] = true,
            ["updateable"] = true,
            ["urls"] = new JsonObject
            {
                ["sobject"] = url,
                ["describe"] = url + "/describe",
                ["rowTemplate"] = url + "/{ID}",
            },
        };
    }

    public static JsonObject Object(SObjectSchema schema, IReadOnlyList<SObjectSchema> all, string basePath)
    {
        var body = Summary(schema, basePath);
        body["fields"] = new JsonArray([.. schema.Fields.Select(f => (JsonNode)Field(f))]);
        body["childRelationships"] = new JsonArray([.. ChildRelationships(schema, all)]);
        body["recordTypeInfos"] = new JsonArray(new JsonObject
        {
            ["active"] = true,
            ["available"] = true,
            ["defaultRecordTypeMapping"] = true,
            ["master"] = true,
            ["name"] = "Master",
            ["recordTypeId"] = "012000000000000AAA",
            ["developerName"] = "Master",
        });
        body["namedLayoutInfos"] = new JsonArray();
        body["supportedScopes"] = new JsonArray(new JsonObject { ["label"] = "All " + schema.LabelPlural.ToLowerInvariant(), ["name"] = "everything" });
        return body;
    }

    public static JsonObject Field(FieldSchema field)
    {
        var text = field.IsText || field.Type is FieldType.Id or FieldType.Reference;
        var filterable = field.Type != FieldType.Textarea || field.Length <= 255;
        return new JsonObject
        {
            ["aggregatable"] = filterable,
            ["autoNumber"] = false,
            ["byteLength"] = text ? field.Length * 3 : 0,
            ["calculated"] = field.Calculated,
            ["caseSensitive"] = field.CaseSensitive,
            ["createable"] = field.Createable,
            ["custom"] = field.Custom,
            ["defaultValue"] = field.Type == FieldType.Boolean ? false : field.DefaultPicklistValue,
            ["defaultedOnCreate"] = field.DefaultedOnCreate,
            ["dependentPicklist"] = false,
            ["digits"] = field.Digits,
            ["externalId"] = field.ExternalId,
            ["filterable"] = filterable,
            ["groupable"] = filterable && !field.IsDecimal && field.Type is not FieldType.DateTime,
            ["htmlFormatted"] = false,
            ["idLookup"] = field.IdLookup,
            ["label"] = field.Label,
            ["length"] = text ? field.Length : 0,
            ["name"] = field.Name,
            ["nameField"] = field.NameField,
            ["namePointing"] = field.ReferenceTo.Count > 1,
            ["nillable"] = field.Nillable,
            ["picklistValues"] = new JsonArray([.. field.PicklistValues.Select(v => (JsonNode)new JsonObject
            {
                ["active"] = true, ["defaultValue"] = v.IsDefault, ["label"] = v.Label, ["validFor"] = null, ["value"] = v.Value,
            })]),
            ["polymorphicForeignKey"] = field.ReferenceTo.Count > 1,
            ["precision"] = field.Precision,
            ["referenceTo"] = new JsonArray([.. field.ReferenceTo.Select(r => (JsonNode?)r)]),
            ["relationshipName"] = field.RelationshipName,
            ["restrictedPicklist"] = field.RestrictedPicklist,
            ["scale"] = field.Scale,
            ["soapType"] = field.SoapType,
            ["sortable"] = filterable,
            ["type"] = field.TypeName,
            ["unique"] = field.Unique,
            ["updateable"] = field.Updateable,
        };
    }

    private static IEnumerable<JsonNode> ChildRelationships(SObjectSchema parent, IReadOnlyList<SObjectSchema> all)
    {
        foreach (var child in all)
        {
            foreach (var field in child.Fields.Where(f => f.Type == FieldType.Reference && f.ReferenceTo.Contains(parent.Name) && !f.Name.EndsWith("ById", StringComparison.Ordinal) && f.Name != "OwnerId"))
            {
                yield return new JsonObject
                {
                    ["cascadeDelete"] = false,
                    ["childSObject"] = child.Name,
                    ["field"] = field.Name,
                    ["relationshipName"] = ChildRelationshipName(child, field),
                };
            }
        }
    }

    /// <summary>Standard children use the plural label (<c>Contacts</c>); custom lookups <c>{Object}s__r</c>.</summary>
    public static string ChildRelationshipName(SObjectSchema child, FieldSchema field) =>
        field.Custom ? child.Name[..^3] + "s__r" : child.LabelPlural.Replace(" ", "", StringComparison.Ordinal);
}
