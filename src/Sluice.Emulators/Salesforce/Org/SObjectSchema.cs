namespace Sluice.Emulators.Salesforce.Org;

/// <summary>An sObject type: its key prefix and fields, in describe order. Field lookup ignores case, as Salesforce's.</summary>
public sealed class SObjectSchema
{
    private readonly Dictionary<string, FieldSchema> _byName;
    private readonly Dictionary<string, FieldSchema> _byRelationship;

    /// <summary>Creates a schema; field names must be unique ignoring case.</summary>
    public SObjectSchema(string name, string label, string labelPlural, string keyPrefix, bool custom, IReadOnlyList<FieldSchema> fields, IReadOnlyList<UniqueKey>? uniqueKeys = null)
    {
        Name = name;
        Label = label;
        LabelPlural = labelPlural;
        KeyPrefix = keyPrefix;
        Custom = custom;
        Fields = fields;
        UniqueKeys = uniqueKeys ?? [];
        _byName = new Dictionary<string, FieldSchema>(StringComparer.OrdinalIgnoreCase);
        _byRelationship = new Dictionary<string, FieldSchema>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in fields)
        {
            if (!_byName.TryAdd(field.Name, field))
            {
                throw new ArgumentException($"{name} declares the field {field.Name} twice.", nameof(fields));
            }

            if (field.RelationshipName is { } relationship)
            {
                _byRelationship[relationship] = field;
            }
        }
    }

    /// <summary>API name, e.g. <c>Account</c> or <c>Subscription__c</c>.</summary>
    public string Name { get; }

    /// <summary>Singular label.</summary>
    public string Label { get; }

    /// <summary>Plural label.</summary>
    public string LabelPlural { get; }

    /// <summary>The first 3 characters of every id of this object.</summary>
    public string KeyPrefix { get; }

    /// <summary>Declared by the org (<c>__c</c>).</summary>
    public bool Custom { get; }

    /// <summary>Fields in describe order.</summary>
    public IReadOnlyList<FieldSchema> Fields { get; }

    /// <summary>Combinations of fields no two live records may share (CampaignMember's (CampaignId, ContactId)).</summary>
    public IReadOnlyList<UniqueKey> UniqueKeys { get; }

    /// <summary>The record's name field, if it has one.</summary>
    public FieldSchema? NameField => Fields.FirstOrDefault(f => f.NameField);

    /// <summary>The field called <paramref name="name"/>, ignoring case.</summary>
    public bool TryGetField(string name, out FieldSchema field) => _byName.TryGetValue(name, out field!);

    /// <summary>The reference field whose relationship is <paramref name="relationshipName"/> (<c>Account</c> → <c>AccountId</c>).</summary>
    public bool TryGetRelationship(string relationshipName, out FieldSchema field) => _byRelationship.TryGetValue(relationshipName, out field!);
}
