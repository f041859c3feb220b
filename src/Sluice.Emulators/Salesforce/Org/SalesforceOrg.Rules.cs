using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sluice.Emulators.Salesforce.Org;

public sealed partial class SalesforceOrg
{
    /// <summary>Field-level rules of one record's save: names, types, lengths, picklists, numbers, lookups.</summary>
    private sealed partial class OrgRules(SalesforceOrg org, SObjectSchema schema)
    {
        /// <summary>
        /// Finds the field a body key names and converts its value. A parent set through its external id
        /// (<c>"Account": {"Ext__c": "a1"}</c> or <c>"Account.Ext__c": "a1"</c>) resolves to the parent's id here.
        /// </summary>
        public bool TryResolve(string name, JsonNode? node, out FieldSchema? field, out object? value, out SaveError? error)
        {
            value = null;
            error = null;
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0)
            {
                if (schema.TryGetRelationship(name[..dot], out field))
                {
                    var text = node?.ToString();
                    if (string.IsNullOrEmpty(text))
                    {
                        return true;
                    }

                    return TryResolveParent(field, field.ReferenceTo[0], name[(dot + 1)..], node, out value, out error);
                }
            }
            else if (node is JsonObject parent && schema.TryGetRelationship(name, out field))
            {
                var target = parent["attributes"]?["type"]?.ToString() ?? field.ReferenceTo[0];
                var key = parent.FirstOrDefault(p => p.Key != "attributes");
                if (key.Key is null)
                {
                    error = new SaveError(StatusCodes.InvalidField, $"A relationship value for {name} names no external id field.", [field.Name]);
                    return false;
                }

                return TryResolveParent(field, target, key.Key, key.Value, out value, out error);
            }
            else if (schema.TryGetField(name, out field))
            {
                return FieldValues.TryCoerce(field, node, out value, out error);
            }

            field = null;
            error = new SaveError(StatusCodes.InvalidField, $"No such column '{name}' on sobject of type {schema.Name}", [name]);
            return false;
        }

        private bool TryResolveParent(FieldSchema reference, string targetName, string keyName, JsonNode? keyNode, out object? value, out SaveError? error)
        {
            value = null;
            error = null;
            if (!reference.ReferenceTo.Contains(targetName, StringComparer.OrdinalIgnoreCase) || !org._schemas.TryGetValue(targetName, out var target))
            {
                error = new SaveError(StatusCodes.InvalidField, $"Invalid type {targetName} for the relationship {reference.RelationshipName}", [reference.Name]);
                return false;
            }

            if (!target.TryGetField(keyName, out var keyField) || !(keyField.ExternalId || keyField.Type == FieldType.Id))
            {
                error = new SaveError(StatusCodes.InvalidField, $"Field name provided, {keyName} is not an External ID or indexed field for {target.Name}", [reference.Name]);
                return false;
            }

            var keyText = keyNode?.ToString() ?? "";
            if (keyField.Type == FieldType.Id)
            {
                value = keyText;
                return true;
            }

            if (!FieldValues.TryCoerce(keyField, keyNode, out var key, out error) || key is null)
            {
                error ??= new SaveError(StatusCodes.InvalidField, $"Foreign key external ID: {keyText} not found for field {keyField.Name} in entity {target.Name}", [reference.Name]);
                return false;
            }

            var matches = org._stores[target.Name].Lookup(keyField, key);
            if (matches.Count == 0 && !org._stores[target.Name].IsIndexed(keyField.Name))
            {
                matches = [.. org._stores[target.Name].Records.Values
                    .Where(r => !r.IsDeleted && string.Equals(FieldValues.ToText(r.Values.GetValueOrDefault(keyField.Name)), keyText, StringComparison.OrdinalIgnoreCase))
                    .Select(r => r.Id)];
            }

            if (matches.Count != 1)
            {
                error = matches.Count == 0
                    ? new SaveError(StatusCodes.InvalidField, $"Foreign key external ID: {keyText} not found for field {keyField.Name} in entity {target.Name}", [reference.Name])
                    : new SaveError(StatusCodes.DuplicateExternalId, $"Foreign key external ID: {keyText} found more than once for field {keyField.Name} in entity {target.Name}", [reference.Name]);
                return false;
            }

            value = matches[0];
            return true;
        }

        /// <summary>The rule <paramref name="value"/> breaks for <paramref name="field"/>, or null.</summary>
        public SaveError? Check(FieldSchema field, object? value)
        {
            if (value is null)
            {
                return null;
            }

            switch (field.Type)
            {
                case FieldType.Reference:
                    return CheckReference(field, (string)value);
                case FieldType.Int:
                    return DigitsOf((long)value) > Math.Max(field.Digits, 1) ? OutOfRange(field, value) : null;
                case FieldType.Double or FieldType.Currency or FieldType.Percent:
                    var rounded = Math.Round((decimal)value, field.Scale, MidpointRounding.AwayFromZero);
                    return DigitsOf(decimal.Truncate(rounded)) > field.Precision - field.Scale ? OutOfRange(field, value) : null;
            }

            if (!field.IsText)
            {
                return null;
            }

            var text = (string)value;
            if (field.Length > 0 && text.Length > field.Length)
            {
                return new SaveError(StatusCodes.StringTooLong, string.Create(CultureInfo.InvariantCulture, $"{field.Label}: data value too large: {text} (max length={field.Length})"), [field.Name]);
            }

            if (field.Type == FieldType.Email && text.Length > 0 && !EmailShape().IsMatch(text))
            {
                return new SaveError(StatusCodes.InvalidEmailAddress, $"{field.Label}: invalid email address: {text}", [field.Name]);
            }

            if (field.RestrictedPicklist)
            {
                var parts = field.Type == FieldType.Multipicklist ? text.Split(';') : [text];
                foreach (var part in parts)
                {
                    if (!field.PicklistValues.Any(v => v.Value == part))
                    {
                        return new SaveError(StatusCodes.RestrictedPicklist, $"{field.Label}: bad value for restricted picklist field: {part}", [field.Name]);
                    }
                }
            }

            return null;
        }

        /// <summary>The value as stored: numbers rounded to the field's scale (Salesforce rounds, it does not refuse), ids in 18 characters.</summary>
        public object? Normalize(FieldSchema field, object? value) => value switch
        {
            decimal number => Math.Round(number, field.Scale, MidpointRounding.AwayFromZero),
            string id when field.Type == FieldType.Reference && SalesforceId.TryNormalize(id, out var id18) => id18,
            string text when field.IsText && text.Length == 0 => null,
            _ => value,
        };

        /// <summary>Rules about the record as a whole, after its fields are set.</summary>
        public SaveError? CheckRecord(Dictionary<string, object?> values, bool creating)
        {
            if (schema.Name == "CampaignMember" && creating)
            {
                if (values.GetValueOrDefault("ContactId") is not null)
                {
                    // A member is a Contact or a Lead; given both, Salesforce keeps the Contact.
                    values["LeadId"] = null;
                }
                else if (values.GetValueOrDefault("LeadId") is null)
                {
                    return new SaveError(StatusCodes.RequiredFieldMissing, "Required fields are missing: [ContactId, LeadId]", ["ContactId", "LeadId"]);
                }
            }

            return null;
        }

        /// <summary>Sets the fields the org computes: full names, closed and won flags, responded.</summary>
        public static void Derive(SObjectSchema schema, Dictionary<string, object?> values)
        {
            switch (schema.Name)
            {
                case "Contact" or "Lead" or "User":
                    values["Name"] = string.Join(' ', new[] { values.GetValueOrDefault("FirstName") as string, values.GetValueOrDefault("LastName") as string }.Where(p => !string.IsNullOrEmpty(p)));
                    break;
                case "Opportunity":
                    var stage = values.GetValueOrDefault("StageName") as string;
                    values["IsClosed"] = stage is "Closed Won" or "Closed Lost";
                    values["IsWon"] = stage == "Closed Won";
                    break;
                case "Task":
                    values["IsClosed"] = values.GetValueOrDefault("Status") as string == "Completed";
                    break;
                case "CampaignMember":
                    values["HasResponded"] = values.GetValueOrDefault("Status") as string == "Responded";
                    break;
            }
        }

        private SaveError? CheckReference(FieldSchema field, string text)
        {
            if (!SalesforceId.TryNormalize(text, out var id))
            {
                return new SaveError(StatusCodes.MalformedId, $"{field.Label}: id value of incorrect type: {text}", [field.Name]);
            }

            if (!org._byPrefix.TryGetValue(id[..3], out var target) || !field.ReferenceTo.Contains(target.Name, StringComparer.OrdinalIgnoreCase))
            {
                return new SaveError(StatusCodes.FieldIntegrityException, $"{field.Label}: id value of incorrect type: {text}", [field.Name]);
            }

            var parent = org._stores[target.Name].Records.GetValueOrDefault(id);
            if (parent is null)
            {
                return new SaveError(StatusCodes.InvalidCrossReferenceKey, "invalid cross reference id", [field.Name]);
            }

            return parent.IsDeleted ? new SaveError(StatusCodes.EntityIsDeleted, "entity is deleted", [field.Name]) : null;
        }

        private static SaveError OutOfRange(FieldSchema field, object value) =>
            new(StatusCodes.NumberOutsideValidRange, $"{field.Label}: value outside of valid range on numeric field: {FieldValues.ToText(value)}", [field.Name]);

        private static int DigitsOf(decimal whole)
        {
            var text = Math.Abs(whole).ToString("0", CultureInfo.InvariantCulture);
            return text == "0" ? 0 : text.Length;
        }

        [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
        private static partial Regex EmailShape();
    }
}
