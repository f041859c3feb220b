using System.Globalization;
using Sluice.Core.Errors;

namespace Sluice.Emulators.Salesforce.Org;

/// <summary>Builds the org's object schemas: the standard objects plus what the org file declares.</summary>
internal static class OrgSchemaBuilder
{
    public static IReadOnlyList<SObjectSchema> Build(OrgDefinition definition)
    {
        var declared = new Dictionary<string, ObjectDefinition>(definition.Objects, StringComparer.OrdinalIgnoreCase);
        var schemas = new List<SObjectSchema>();
        foreach (var (name, label, plural, prefix, owned, fields, keys) in StandardObjects.All)
        {
            var extra = declared.Remove(name, out var objectDefinition) ? CustomFields(name, objectDefinition) : [];
            schemas.Add(new SObjectSchema(name, label, plural, prefix, custom: false, [.. FieldFactory.Leading(owned), .. fields, .. extra, .. FieldFactory.Audit()], keys));
        }

        var used = new HashSet<string>(schemas.Select(s => s.KeyPrefix), StringComparer.Ordinal);
        var next = 1;
        foreach (var (name, objectDefinition) in declared)
        {
            if (!name.EndsWith("__c", StringComparison.Ordinal))
            {
                throw SluiceException.Config($"The org file declares the object \"{name}\": custom object names end with __c, and the standard objects are {string.Join(", ", StandardObjects.All.Select(o => o.Name))}.");
            }

            var prefix = objectDefinition.KeyPrefix;
            if (prefix is null)
            {
                do
                {
                    prefix = "a0" + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[next++];
                }
                while (used.Contains(prefix));
            }
            else if (prefix.Length != 3 || !prefix.All(char.IsAsciiLetterOrDigit) || used.Contains(prefix))
            {
                throw SluiceException.Config($"The org file gives {name} the key prefix \"{prefix}\": use 3 letters or digits not used by another object.");
            }

            used.Add(prefix);
            var label = objectDefinition.Label ?? LabelOf(name);
            var nameField = FieldFactory.Text("Name", objectDefinition.NameLabel ?? $"{label} Name", 80, required: true, nameField: true);
            schemas.Add(new SObjectSchema(
                name, label, objectDefinition.PluralLabel ?? label + "s", prefix, custom: true,
                [.. FieldFactory.Leading(owned: true), nameField, .. CustomFields(name, objectDefinition), .. FieldFactory.Audit()]));
        }

        var names = schemas.Select(s => s.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var schema in schemas)
        {
            foreach (var field in schema.Fields.Where(f => f.Type == FieldType.Reference))
            {
                if (field.ReferenceTo.FirstOrDefault(target => !names.Contains(target)) is { } missing)
                {
                    throw SluiceException.Config($"The org file's field {schema.Name}.{field.Name} references \"{missing}\", which is not an object of the org.");
                }
            }
        }

        return schemas;
    }

    private static List<FieldSchema> CustomFields(string objectName, ObjectDefinition definition)
    {
        var fields = new List<FieldSchema>();
        foreach (var (name, field) in definition.Fields)
        {
            if (!name.EndsWith("__c", StringComparison.Ordinal))
            {
                throw SluiceException.Config($"The org file declares the field {objectName}.{name}: custom field names end with __c.");
            }

            fields.Add(CustomField(objectName, name, field));
        }

        return fields;
    }

    private static FieldSchema CustomField(string objectName, string name, FieldDefinition field)
    {
        var label = field.Label ?? LabelOf(name);
        var type = field.Type.ToLowerInvariant() switch
        {
            "string" or "text" => FieldType.String,
            "textarea" => FieldType.Textarea,
            "email" => FieldType.Email,
            "phone" => FieldType.Phone,
            "url" => FieldType.Url,
            "picklist" => FieldType.Picklist,
            "multipicklist" => FieldType.Multipicklist,
            "boolean" or "checkbox" => FieldType.Boolean,
            "int" or "integer" => FieldType.Int,
            "double" or "number" => FieldType.Double,
            "currency" => FieldType.Currency,
            "percent" => FieldType.Percent,
            "date" => FieldType.Date,
            "datetime" => FieldType.DateTime,
            "time" => FieldType.Time,
            "reference" or "lookup" => FieldType.Reference,
            _ => throw SluiceException.Config($"The org file gives {objectName}.{name} the type \"{field.Type}\"; use string, textarea, email, phone, url, picklist, multipicklist, boolean, int, double, currency, percent, date, datetime, time or reference."),
        };
        if (type == FieldType.Reference && field.ReferenceTo.Count == 0)
        {
            throw SluiceException.Config($"The org file's reference field {objectName}.{name} needs referenceTo: the object it points at.");
        }

        var picklist = type is FieldType.Picklist or FieldType.Multipicklist;
        var precision = field.Precision ?? 18;
        var scale = field.Scale ?? (type == FieldType.Currency ? 2 : 0);
        if (scale > precision)
        {
            throw SluiceException.Config(string.Create(CultureInfo.InvariantCulture, $"The org file gives {objectName}.{name} scale {scale} above its precision {precision}."));
        }

        return new FieldSchema
        {
            Name = name,
            Label = label,
            Type = type,
            Custom = true,
            Length = type switch
            {
                FieldType.Textarea => field.Length ?? 32_000,
                FieldType.Reference => 18,
                FieldType.Email => 80,
                FieldType.Phone => 40,
                FieldType.Multipicklist => 4099,
                _ when picklist || type is FieldType.String or FieldType.Url => field.Length ?? 255,
                _ => 0,
            },
            Precision = type is FieldType.Double or FieldType.Currency or FieldType.Percent ? precision : 0,
            Scale = type is FieldType.Double or FieldType.Currency or FieldType.Percent ? scale : 0,
            Digits = type == FieldType.Int ? field.Precision ?? 9 : 0,
            Nillable = !field.Required && type != FieldType.Boolean,
            DefaultedOnCreate = type == FieldType.Boolean || field.Default is not null,
            ExternalId = field.ExternalId,
            IdLookup = field.ExternalId,
            Unique = field.Unique,
            CaseSensitive = field.CaseSensitive,
            PicklistValues = [.. field.Values.Select(v => new PicklistValue(v, v, v == field.Default))],
            RestrictedPicklist = field.Restricted,
            ReferenceTo = field.ReferenceTo,
            RelationshipName = type == FieldType.Reference ? field.RelationshipName ?? name[..^3] + "__r" : null,
        };
    }

    private static string LabelOf(string apiName) =>
        (apiName.EndsWith("__c", StringComparison.Ordinal) ? apiName[..^3] : apiName).Replace('_', ' ');
}
