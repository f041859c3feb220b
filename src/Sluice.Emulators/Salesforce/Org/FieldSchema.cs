namespace Sluice.Emulators.Salesforce.Org;

/// <summary>
/// One field of an sObject as describe shows it and as the save path enforces it. Defaults are those of a
/// plain, optional, writable standard field.
/// </summary>
public sealed class FieldSchema
{
    /// <summary>API name, e.g. <c>LastName</c> or <c>External_Id__c</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Label, used in error messages (<c>Last Name: data value too large…</c>).</summary>
    public required string Label { get; init; }

    /// <summary>Describe type.</summary>
    public required FieldType Type { get; init; }

    /// <summary>Maximum characters for text types (and 18 for ids); 0 for the others.</summary>
    public int Length { get; init; }

    /// <summary>Total digits of a double, currency or percent field; 0 otherwise.</summary>
    public int Precision { get; init; }

    /// <summary>Digits after the decimal point of a double, currency or percent field.</summary>
    public int Scale { get; init; }

    /// <summary>Maximum digits of an int field (9 for standard ints); 0 otherwise.</summary>
    public int Digits { get; init; }

    /// <summary>Whether null is allowed. A non-nillable, createable field without a default is required on create.</summary>
    public bool Nillable { get; init; } = true;

    /// <summary>Whether a create may set it.</summary>
    public bool Createable { get; init; } = true;

    /// <summary>Whether an update may set it.</summary>
    public bool Updateable { get; init; } = true;

    /// <summary>Whether the org fills it when a create leaves it out (picklist default, boolean false, system fields).</summary>
    public bool DefaultedOnCreate { get; init; }

    /// <summary>An external id: usable for upsert and for setting references through the parent.</summary>
    public bool ExternalId { get; init; }

    /// <summary>Usable to find a record (<c>Id</c>, external ids, some name fields).</summary>
    public bool IdLookup { get; init; }

    /// <summary>No two live records of the object may share a value (<c>DUPLICATE_VALUE</c>).</summary>
    public bool Unique { get; init; }

    /// <summary>Whether unique and external-id matching respects case. Default false, as Salesforce's default.</summary>
    public bool CaseSensitive { get; init; }

    /// <summary>Declared by the org (<c>__c</c>).</summary>
    public bool Custom { get; init; }

    /// <summary>The record's name field.</summary>
    public bool NameField { get; init; }

    /// <summary>Computed by the org (formula-like), never writable.</summary>
    public bool Calculated { get; init; }

    /// <summary>Values of a picklist, multipicklist or combobox.</summary>
    public IReadOnlyList<PicklistValue> PicklistValues { get; init; } = [];

    /// <summary>Only the declared picklist values are accepted (<c>INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST</c>).</summary>
    public bool RestrictedPicklist { get; init; }

    /// <summary>Objects a reference may point at (several for polymorphic lookups such as <c>WhoId</c>).</summary>
    public IReadOnlyList<string> ReferenceTo { get; init; } = [];

    /// <summary>Name of the parent relationship (<c>Account</c> for <c>AccountId</c>, <c>Account__r</c> for <c>Account__c</c>).</summary>
    public string? RelationshipName { get; init; }

    /// <summary>Whether a null value is a missing required value on create.</summary>
    public bool IsRequiredOnCreate => !Nillable && Createable && !DefaultedOnCreate && Type != FieldType.Boolean;

    /// <summary>The picklist value a new record gets, if any.</summary>
    public string? DefaultPicklistValue => PicklistValues.FirstOrDefault(v => v.IsDefault)?.Value;

    /// <summary>Whether the field holds text (compared, measured and matched as a string).</summary>
    public bool IsText => Type is FieldType.String or FieldType.Textarea or FieldType.Email or FieldType.Phone
        or FieldType.Url or FieldType.Picklist or FieldType.Multipicklist or FieldType.Combobox;

    /// <summary>Whether the field holds a number stored as <see cref="decimal"/>.</summary>
    public bool IsDecimal => Type is FieldType.Double or FieldType.Currency or FieldType.Percent;

    /// <summary>SOAP type shown in describe.</summary>
    public string SoapType => Type switch
    {
        FieldType.Id or FieldType.Reference => "tns:ID",
        FieldType.Boolean => "xsd:boolean",
        FieldType.Int => "xsd:int",
        FieldType.Double or FieldType.Currency or FieldType.Percent => "xsd:double",
        FieldType.Date => "xsd:date",
        FieldType.DateTime => "xsd:dateTime",
        FieldType.Time => "xsd:time",
        _ => "xsd:string",
    };

    /// <summary>The describe name of the type (<c>datetime</c>, <c>multipicklist</c>, …).</summary>
    public string TypeName => Type switch
    {
        FieldType.DateTime => "datetime",
        _ => Type.ToString().ToLowerInvariant(),
    };
}
