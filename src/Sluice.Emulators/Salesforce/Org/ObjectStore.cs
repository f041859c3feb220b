namespace Sluice.Emulators.Salesforce.Org;

/// <summary>
/// The records of one object and the indexes the save path needs: values of unique and external-id fields,
/// and the object's unique keys. Deleted records stay (queryAll sees them) but leave the indexes.
/// Not thread-safe: <see cref="SalesforceOrg"/> holds its lock around every use.
/// </summary>
internal sealed class ObjectStore
{
    private readonly Dictionary<string, Dictionary<string, List<string>>> _fieldIndexes = new(StringComparer.Ordinal);
    private readonly List<Dictionary<string, string>> _keyIndexes = [];

    public ObjectStore(SObjectSchema schema)
    {
        Schema = schema;
        foreach (var field in schema.Fields.Where(f => f.Unique || f.ExternalId))
        {
            _fieldIndexes[field.Name] = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        }

        foreach (var _ in schema.UniqueKeys)
        {
            _keyIndexes.Add(new Dictionary<string, string>(StringComparer.Ordinal));
        }
    }

    public SObjectSchema Schema { get; }

    public Dictionary<string, SObjectRecord> Records { get; } = new(StringComparer.Ordinal);

    public bool IsIndexed(string field) => _fieldIndexes.ContainsKey(field);

    /// <summary>Live records whose indexed <paramref name="field"/> matches <paramref name="value"/> (case per the field).</summary>
    public IReadOnlyList<string> Lookup(FieldSchema field, object value) =>
        _fieldIndexes.TryGetValue(field.Name, out var index) && index.TryGetValue(IndexKey(field, value), out var ids) ? ids : [];

    /// <summary>The live record holding the same values of unique key <paramref name="key"/>, if any.</summary>
    public string? KeyHolder(int key, IReadOnlyDictionary<string, object?> values) =>
        KeyOf(Schema.UniqueKeys[key], values) is { } text && _keyIndexes[key].TryGetValue(text, out var id) ? id : null;

    /// <summary>Replaces (or adds, or with null removes) the record <paramref name="id"/>, keeping the indexes right.</summary>
    public void Put(string id, SObjectRecord? record)
    {
        if (Records.TryGetValue(id, out var old))
        {
            Unindex(old);
        }

        if (record is null)
        {
            Records.Remove(id);
            return;
        }

        Records[id] = record;
        Index(record);
    }

    public void Clear()
    {
        Records.Clear();
        foreach (var index in _fieldIndexes.Values)
        {
            index.Clear();
        }

        foreach (var index in _keyIndexes)
        {
            index.Clear();
        }
    }

    private void Index(SObjectRecord record)
    {
        if (record.IsDeleted)
        {
            return;
        }

        foreach (var (name, index) in _fieldIndexes)
        {
            if (record.Values.GetValueOrDefault(name) is { } value && Schema.TryGetField(name, out var field))
            {
                var key = IndexKey(field, value);
                if (!index.TryGetValue(key, out var ids))
                {
                    index[key] = ids = [];
                }

                ids.Add(record.Id);
            }
        }

        for (var i = 0; i < _keyIndexes.Count; i++)
        {
            if (KeyOf(Schema.UniqueKeys[i], record.Values) is { } key)
            {
                _keyIndexes[i][key] = record.Id;
            }
        }
    }

    private void Unindex(SObjectRecord record)
    {
        if (record.IsDeleted)
        {
            return;
        }

        foreach (var (name, index) in _fieldIndexes)
        {
            if (record.Values.GetValueOrDefault(name) is { } value && Schema.TryGetField(name, out var field)
                && index.TryGetValue(IndexKey(field, value), out var ids))
            {
                ids.Remove(record.Id);
                if (ids.Count == 0)
                {
                    index.Remove(IndexKey(field, value));
                }
            }
        }

        for (var i = 0; i < _keyIndexes.Count; i++)
        {
            if (KeyOf(Schema.UniqueKeys[i], record.Values) is { } key && _keyIndexes[i].GetValueOrDefault(key) == record.Id)
            {
                _keyIndexes[i].Remove(key);
            }
        }
    }

    private static string IndexKey(FieldSchema field, object value)
    {
        var text = FieldValues.ToText(value);
        return field.CaseSensitive ? text : text.ToUpperInvariant();
    }

    private static string? KeyOf(UniqueKey key, IReadOnlyDictionary<string, object?> values)
    {
        var parts = new string[key.Fields.Count];
        for (var i = 0; i < parts.Length; i++)
        {
            if (values.GetValueOrDefault(key.Fields[i]) is not { } value)
            {
                return null;
            }

            parts[i] = FieldValues.ToText(value);
        }

        return string.Join('\u001f', parts);
    }
}
