namespace Sluice.Emulators.Salesforce.Org;

/// <summary>
/// One stored record, immutable: every save replaces it with a new instance, so a reader (a query, the admin
/// API) can hold it without locking. Values are keyed by the field's exact API name and typed by field type:
/// <see cref="string"/> for text, picklists and ids; <see cref="bool"/>; <see cref="long"/> for int;
/// <see cref="decimal"/> for double, currency and percent; <see cref="DateOnly"/>; <see cref="DateTimeOffset"/>
/// (UTC, milliseconds) for datetime; <see cref="TimeOnly"/>; null. Fields never set are absent (read as null).
/// </summary>
public sealed class SObjectRecord
{
    internal SObjectRecord(SObjectSchema schema, string id, IReadOnlyDictionary<string, object?> values)
    {
        Schema = schema;
        Id = id;
        Values = values;
    }

    /// <summary>The record's object.</summary>
    public SObjectSchema Schema { get; }

    /// <summary>18-character id.</summary>
    public string Id { get; }

    /// <summary>Field values by exact API name.</summary>
    public IReadOnlyDictionary<string, object?> Values { get; }

    /// <summary>In the recycle bin (deleted, still visible to queryAll).</summary>
    public bool IsDeleted => Values.TryGetValue("IsDeleted", out var deleted) && deleted is true;

    /// <summary>When the record last changed in any way.</summary>
    public DateTimeOffset SystemModstamp => (DateTimeOffset)Values["SystemModstamp"]!;

    /// <summary>The value of <paramref name="field"/> (any case), or null.</summary>
    public object? Get(string field)
    {
        if (Values.TryGetValue(field, out var value))
        {
            return value;
        }

        return Schema.TryGetField(field, out var schema) && Values.TryGetValue(schema.Name, out value) ? value : null;
    }
}
