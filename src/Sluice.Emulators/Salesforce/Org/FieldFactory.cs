namespace Sluice.Emulators.Salesforce.Org;

/// <summary>Short constructors for the standard objects' and the org file's fields.</summary>
internal static class FieldFactory
{
    public static FieldSchema Text(string name, string label, int length, bool required = false, bool nameField = false, bool idLookup = false) =>
        new() { Name = name, Label = label, Type = FieldType.String, Length = length, Nillable = !required, NameField = nameField, IdLookup = idLookup || nameField };

    public static FieldSchema Textarea(string name, string label, int length = 32000) =>
        new() { Name = name, Label = label, Type = FieldType.Textarea, Length = length };

    public static FieldSchema Email(string name, string label) =>
        new() { Name = name, Label = label, Type = FieldType.Email, Length = 80, IdLookup = true };

    public static FieldSchema Phone(string name, string label) =>
        new() { Name = name, Label = label, Type = FieldType.Phone, Length = 40 };

    public static FieldSchema Url(string name, string label) =>
        new() { Name = name, Label = label, Type = FieldType.Url, Length = 255 };

    public static FieldSchema Picklist(string name, string label, string[] values, bool required = false, string? defaultValue = null, bool restricted = false, int length = 255, FieldType type = FieldType.Picklist) =>
        new()
        {
            Name = name,
            Label = label,
            Type = type,
            Length = length,
            Nillable = !required,
            DefaultedOnCreate = defaultValue is not null,
            RestrictedPicklist = restricted,
            PicklistValues = [.. values.Select(v => new PicklistValue(v, v, v == defaultValue))],
        };

    public static FieldSchema Bool(string name, string label, bool createable = true) =>
        new() { Name = name, Label = label, Type = FieldType.Boolean, Nillable = false, DefaultedOnCreate = true, Createable = createable, Updateable = createable };

    public static FieldSchema Int(string name, string label, int digits = 9) =>
        new() { Name = name, Label = label, Type = FieldType.Int, Digits = digits };

    public static FieldSchema Number(string name, string label, FieldType type, int precision, int scale) =>
        new() { Name = name, Label = label, Type = type, Precision = precision, Scale = scale };

    public static FieldSchema Date(string name, string label, bool required = false) =>
        new() { Name = name, Label = label, Type = FieldType.Date, Nillable = !required };

    public static FieldSchema DateTime(string name, string label) =>
        new() { Name = name, Label = label, Type = FieldType.DateTime };

    public static FieldSchema Reference(string name, string label, string[] to, string? relationship, bool required = false, bool updateable = true) =>
        new() { Name = name, Label = label, Type = FieldType.Reference, Length = 18, ReferenceTo = to, RelationshipName = relationship, Nillable = !required, Updateable = updateable };

    /// <summary>A field only the org writes (audit fields, computed names and flags).</summary>
    public static FieldSchema ReadOnly(FieldSchema field) =>
        new()
        {
            Name = field.Name,
            Label = field.Label,
            Type = field.Type,
            Length = field.Length,
            Precision = field.Precision,
            Scale = field.Scale,
            Digits = field.Digits,
            Nillable = field.Nillable,
            Createable = false,
            Updateable = false,
            DefaultedOnCreate = true,
            IdLookup = field.IdLookup,
            NameField = field.NameField,
            Calculated = field.Calculated,
            PicklistValues = field.PicklistValues,
            ReferenceTo = field.ReferenceTo,
            RelationshipName = field.RelationshipName,
        };

    /// <summary>The fields every object has first: Id, IsDeleted, and the owner when it has one.</summary>
    public static IEnumerable<FieldSchema> Leading(bool owned)
    {
        yield return new FieldSchema { Name = "Id", Label = "Record ID", Type = FieldType.Id, Length = 18, Nillable = false, Createable = false, Updateable = false, DefaultedOnCreate = true, IdLookup = true };
        yield return ReadOnly(Bool("IsDeleted", "Deleted"));
        if (owned)
        {
            yield return new FieldSchema
            {
                Name = "OwnerId",
                Label = "Owner ID",
                Type = FieldType.Reference,
                Length = 18,
                ReferenceTo = ["User"],
                RelationshipName = "Owner",
                Nillable = false,
                DefaultedOnCreate = true,
            };
        }
    }

    /// <summary>The audit fields every object ends with.</summary>
    public static IEnumerable<FieldSchema> Audit()
    {
        yield return ReadOnly(new FieldSchema { Name = "CreatedDate", Label = "Created Date", Type = FieldType.DateTime, Nillable = false });
        yield return ReadOnly(new FieldSchema { Name = "CreatedById", Label = "Created By ID", Type = FieldType.Reference, Length = 18, ReferenceTo = ["User"], RelationshipName = "CreatedBy", Nillable = false });
        yield return ReadOnly(new FieldSchema { Name = "LastModifiedDate", Label = "Last Modified Date", Type = FieldType.DateTime, Nillable = false });
        yield return ReadOnly(new FieldSchema { Name = "LastModifiedById", Label = "Last Modified By ID", Type = FieldType.Reference, Length = 18, ReferenceTo = ["User"], RelationshipName = "LastModifiedBy", Nillable = false });
        yield return ReadOnly(new FieldSchema { Name = "SystemModstamp", Label = "System Modstamp", Type = FieldType.DateTime, Nillable = false });
    }
}
