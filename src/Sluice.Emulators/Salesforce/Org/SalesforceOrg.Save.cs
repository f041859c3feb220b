using System.Text.Json.Nodes;

namespace Sluice.Emulators.Salesforce.Org;

public sealed partial class SalesforceOrg
{
    private const string RolledBackMessage = "Record rolled back because not all records were valid and the request was using AllOrNone header";

    /// <summary>
    /// Inserts, updates, upserts or deletes <paramref name="requests"/> in order and answers one result per
    /// request, in order: the id and whether it was created, or Salesforce's errors (statusCode, message,
    /// fields). Records of one call see each other (a duplicate within the call is a duplicate). With
    /// <see cref="SaveOptions.AllOrNone"/> a single failure undoes the whole call.
    /// </summary>
    public IReadOnlyList<SaveResult> Save(IReadOnlyList<SaveRequest> requests, SaveOptions? options = null) =>
        SaveAs(requests, options ?? new SaveOptions(), presetId: null);

    private IReadOnlyList<SaveResult> SaveAs(IReadOnlyList<SaveRequest> requests, SaveOptions options, string? presetId)
    {
        var results = new SaveResult[requests.Count];
        lock (_lock)
        {
            var undo = new List<(ObjectStore Store, string Id, SObjectRecord? Previous)>();
            var deleteLogLength = _deleteLog.Count;
            var context = new SaveContext(Now(), options.UserId ?? DefaultUserId, undo, []);
            for (var i = 0; i < requests.Count; i++)
            {
                results[i] = options.LockFailure?.Invoke(requests[i]) == true
                    ? SaveResult.Failed(null, requests[i].ObjectName, new SaveError(StatusCodes.UnableToLockRow, "unable to obtain exclusive access to this record"))
                    : SaveOne(requests[i], context, presetId);
            }

            if (options.AllOrNone && results.Any(r => !r.Success))
            {
                for (var i = undo.Count - 1; i >= 0; i--)
                {
                    undo[i].Store.Put(undo[i].Id, undo[i].Previous);
                }

                _deleteLog.RemoveRange(deleteLogLength, _deleteLog.Count - deleteLogLength);
                context.Changes.Clear();
                for (var i = 0; i < results.Length; i++)
                {
                    if (results[i].Success)
                    {
                        results[i] = SaveResult.Failed(null, results[i].ObjectName, new SaveError(StatusCodes.AllOrNoneRolledBack, RolledBackMessage));
                    }
                }
            }
            else if (AmbientTransaction.Value is { } transaction)
            {
                transaction.Undo.AddRange(undo);
                transaction.Deleted.AddRange(_deleteLog.Skip(deleteLogLength));
                transaction.Changes.AddRange(context.Changes);
                transaction.UserId ??= context.UserId;
                transaction.Origin ??= options.ChangeOrigin;
            }
            else if (context.Changes.Count > 0)
            {
                Publish(new OrgCommit(context.Changes, context.Now, context.UserId, options.ChangeOrigin));
            }

            if (options.CommitLag is { } lag && lag > TimeSpan.Zero)
            {
                HideUntil(undo, context.Now + lag);
            }
        }

        return results;
    }

    private SaveResult SaveOne(SaveRequest request, SaveContext context, string? presetId)
    {
        switch (request.Operation)
        {
            case SaveOperation.Delete:
                return Delete(request, context);
            case SaveOperation.Update:
                if (!TryFindTarget(request, out var target, out var failure))
                {
                    return failure!;
                }

                return Write(target!.Schema, target, request.Fields, context, null, upsertField: null);
            case SaveOperation.Insert:
            case SaveOperation.Upsert:
                if (request.ObjectName is null || !_schemas.TryGetValue(request.ObjectName, out var schema))
                {
                    return SaveResult.Failed(null, request.ObjectName, new SaveError(StatusCodes.InvalidType, $"sObject type '{request.ObjectName}' is not supported."));
                }

                if (request.Operation == SaveOperation.Insert)
                {
                    return Write(schema, null, request.Fields, context, presetId, upsertField: null);
                }

                return Upsert(schema, request, context);
            default:
                throw new ArgumentOutOfRangeException(nameof(request), request.Operation, "Unknown save operation.");
        }
    }

    private SaveResult Upsert(SObjectSchema schema, SaveRequest request, SaveContext context)
    {
        var fieldName = request.ExternalIdField ?? "Id";
        if (!schema.TryGetField(fieldName, out var field) || !(field.ExternalId || field.Type == FieldType.Id))
        {
            return SaveResult.Failed(null, schema.Name, new SaveError(StatusCodes.InvalidField, $"Provided external ID field does not exist or is not accessible: {fieldName}"));
        }

        var sent = request.Fields.FirstOrDefault(f => f.Key.Equals(field.Name, StringComparison.OrdinalIgnoreCase));
        if (field.Type == FieldType.Id)
        {
            // Upsert on Id: a null Id creates (POST …/sobjects/Account/Id), a known one updates.
            var idText = sent.Value?.ToString();
            if (string.IsNullOrEmpty(idText))
            {
                return Write(schema, null, [.. request.Fields.Where(f => !f.Key.Equals("Id", StringComparison.OrdinalIgnoreCase))], context, null, upsertField: null);
            }

            if (!TryFindTarget(new SaveRequest { Operation = SaveOperation.Update, ObjectName = schema.Name, Id = idText, Fields = request.Fields }, out var byId, out var notFound))
            {
                return notFound!;
            }

            return Write(schema, byId, request.Fields, context, null, upsertField: field);
        }

        if (sent.Key is null || sent.Value is null || (sent.Value is JsonValue v && v.ToString().Length == 0))
        {
            return SaveResult.Failed(null, schema.Name, new SaveError(StatusCodes.MissingArgument, $"{field.Name} not specified", [field.Name]));
        }

        if (!FieldValues.TryCoerce(field, sent.Value, out var key, out var typeError))
        {
            return SaveResult.Failed(null, schema.Name, typeError!);
        }

        var matches = _stores[schema.Name].Lookup(field, key!);
        if (matches.Count > 1)
        {
            return new SaveResult
            {
                ObjectName = schema.Name,
                MultipleMatches = [.. matches],
                Errors = [new SaveError(StatusCodes.DuplicateExternalId, $"{field.Label}: more than one record found for external id field: [{string.Join(", ", matches)}]", [field.Name])],
            };
        }

        var existing = matches.Count == 1 ? _stores[schema.Name].Records[matches[0]] : null;
        return Write(schema, existing, request.Fields, context, null, upsertField: field);
    }

    private SaveResult Delete(SaveRequest request, SaveContext context)
    {
        if (!TryFindTarget(request, out var target, out var failure))
        {
            return failure!;
        }

        var values = new Dictionary<string, object?>(target!.Values, StringComparer.Ordinal)
        {
            ["IsDeleted"] = true,
            ["LastModifiedDate"] = context.Now,
            ["LastModifiedById"] = context.UserId,
            ["SystemModstamp"] = context.Now,
        };
        var store = _stores[target.Schema.Name];
        context.Undo.Add((store, target.Id, target));
        store.Put(target.Id, new SObjectRecord(target.Schema, target.Id, values));
        _deleteLog.Add(new DeletedRecord(target.Schema.Name, target.Id, context.Now));
        context.Changes.Add(new RecordChange(RecordChangeType.Delete, target, store.Records[target.Id]));
        return new SaveResult { Id = target.Id, ObjectName = target.Schema.Name };
    }

    /// <summary>Finds the live record an update or delete names, or the error Salesforce gives inside DML.</summary>
    private bool TryFindTarget(SaveRequest request, out SObjectRecord? target, out SaveResult? failure)
    {
        target = null;
        failure = null;
        var label = request.ObjectName is { } objectName && _schemas.TryGetValue(objectName, out var named) ? named.Label : "Record";
        if (!SalesforceId.TryNormalize(request.Id, out var id) || !_byPrefix.TryGetValue(id[..3], out var schema)
            || (request.ObjectName is not null && !schema.Name.Equals(request.ObjectName, StringComparison.OrdinalIgnoreCase)))
        {
            failure = SaveResult.Failed(null, request.ObjectName, new SaveError(StatusCodes.MalformedId, $"{label} ID: id value of incorrect type: {request.Id}", ["Id"]));
            return false;
        }

        target = _stores[schema.Name].Records.GetValueOrDefault(id);
        if (target is null)
        {
            failure = SaveResult.Failed(id, schema.Name, new SaveError(StatusCodes.InvalidCrossReferenceKey, "invalid cross reference id"));
            return false;
        }

        if (target.IsDeleted)
        {
            failure = SaveResult.Failed(id, schema.Name, new SaveError(StatusCodes.EntityIsDeleted, "entity is deleted"));
            target = null;
            return false;
        }

        return true;
    }

    /// <summary>Creates (<paramref name="existing"/> null) or updates one record after every org rule held.</summary>
    private SaveResult Write(SObjectSchema schema, SObjectRecord? existing, IReadOnlyList<KeyValuePair<string, JsonNode?>> fields, SaveContext context, string? presetId, FieldSchema? upsertField)
    {
        var creating = existing is null;
        var values = creating
            ? new Dictionary<string, object?>(StringComparer.Ordinal)
            : new Dictionary<string, object?>(existing!.Values, StringComparer.Ordinal);
        var assigned = new List<FieldSchema>();
        var rules = new OrgRules(this, schema);
        foreach (var (name, node) in fields)
        {
            if (name.Equals("attributes", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (name.Equals("Id", StringComparison.OrdinalIgnoreCase))
            {
                // An update body may carry its own id (collections do); a create must not set one.
                var text = node?.ToString();
                if (string.IsNullOrEmpty(text) || (!creating && SalesforceId.TryNormalize(text, out var same) && same == existing!.Id))
                {
                    continue;
                }

                return Fail(existing, schema, new SaveError(StatusCodes.InvalidFieldForInsertUpdate, creating ? "cannot specify Id in an insert call" : $"Record ID: id value of incorrect type: {text}", ["Id"]));
            }

            if (!rules.TryResolve(name, node, out var field, out var value, out var error))
            {
                return Fail(existing, schema, error!);
            }

            if (upsertField is not null && field!.Name == upsertField.Name && !creating)
            {
                // The matching external id may be repeated in the body of an update.
                continue;
            }

            if (creating ? !field!.Createable : !field!.Updateable)
            {
                return Fail(existing, schema, new SaveError(
                    StatusCodes.InvalidFieldForInsertUpdate,
                    $"Unable to create/update fields: {field.Name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                    [field.Name]));
            }

            if (rules.Check(field, value) is { } invalid)
            {
                return Fail(existing, schema, invalid);
            }

            values[field.Name] = rules.Normalize(field, value);
            assigned.Add(field);
        }

        if (creating)
        {
            foreach (var field in schema.Fields)
            {
                if (!values.ContainsKey(field.Name))
                {
                    values[field.Name] = field.Type == FieldType.Boolean ? false : field.DefaultPicklistValue;
                }
            }
        }

        var missing = schema.Fields
            .Where(f => (creating ? f.IsRequiredOnCreate : !f.Nillable && f.Updateable && assigned.Contains(f)) && values.GetValueOrDefault(f.Name) is null)
            .Select(f => f.Name)
            .ToList();
        if (missing.Count > 0)
        {
            return Fail(existing, schema, new SaveError(StatusCodes.RequiredFieldMissing, $"Required fields are missing: [{string.Join(", ", missing)}]", missing));
        }

        if (rules.CheckRecord(values, creating) is { } recordError)
        {
            return Fail(existing, schema, recordError);
        }

        var id = existing?.Id ?? presetId ?? NextId(schema.KeyPrefix);
        OrgRules.Derive(schema, values);
        values["Id"] = id;
        values["IsDeleted"] = false;
        if (creating)
        {
            values["CreatedDate"] = context.Now;
            values["CreatedById"] = context.UserId;
            if (schema.TryGetField("OwnerId", out _) && values.GetValueOrDefault("OwnerId") is null)
            {
                values["OwnerId"] = context.UserId;
            }
        }

        values["LastModifiedDate"] = context.Now;
        values["LastModifiedById"] = context.UserId;
        values["SystemModstamp"] = context.Now;

        var store = _stores[schema.Name];
        if (FindDuplicate(store, values, id) is { } duplicate)
        {
            return Fail(existing, schema, duplicate);
        }

        context.Undo.Add((store, id, existing));
        var saved = new SObjectRecord(schema, id, values);
        store.Put(id, saved);
        context.Changes.Add(new RecordChange(creating ? RecordChangeType.Create : RecordChangeType.Update, existing, saved));
        return new SaveResult { Id = id, Created = creating, ObjectName = schema.Name };
    }

    private static SaveError? FindDuplicate(ObjectStore store, Dictionary<string, object?> values, string id)
    {
        foreach (var field in store.Schema.Fields.Where(f => f.Unique))
        {
            if (values.GetValueOrDefault(field.Name) is { } value && store.Lookup(field, value).FirstOrDefault(other => other != id) is { } holder)
            {
                return new SaveError(StatusCodes.DuplicateValue, $"duplicate value found: {field.Name} duplicates value on record with id: {holder}", [field.Name]);
            }
        }

        for (var i = 0; i < store.Schema.UniqueKeys.Count; i++)
        {
            if (store.KeyHolder(i, values) is { } holder && holder != id)
            {
                return new SaveError(StatusCodes.DuplicateValue, store.Schema.UniqueKeys[i].Message, []);
            }
        }

        return null;
    }

    private static SaveResult Fail(SObjectRecord? existing, SObjectSchema schema, SaveError error) =>
        SaveResult.Failed(existing?.Id, schema.Name, error);

    private static readonly AsyncLocal<OrgTransaction?> AmbientTransaction = new();

    /// <summary>
    /// Groups the saves that follow on this async flow (a composite request with allOrNone) so that
    /// <see cref="OrgTransaction.Rollback"/> can undo them all. Dispose ends the grouping.
    /// </summary>
    internal OrgTransaction BeginTransaction()
    {
        var transaction = new OrgTransaction(this);
        AmbientTransaction.Value = transaction;
        return transaction;
    }

    /// <summary>Saves grouped for one rollback.</summary>
    internal sealed class OrgTransaction(SalesforceOrg org) : IDisposable
    {
        public List<(ObjectStore Store, string Id, SObjectRecord? Previous)> Undo { get; } = [];

        public List<DeletedRecord> Deleted { get; } = [];

        /// <summary>The grouped saves' changes: published as one commit when the grouping ends, unless rolled back.</summary>
        public List<RecordChange> Changes { get; } = [];

        public string? UserId { get; set; }

        public string? Origin { get; set; }

        public void Rollback()
        {
            lock (org._lock)
            {
                for (var i = Undo.Count - 1; i >= 0; i--)
                {
                    Undo[i].Store.Put(Undo[i].Id, Undo[i].Previous);
                }

                foreach (var entry in Deleted)
                {
                    org._deleteLog.Remove(entry);
                }

                Undo.Clear();
                Deleted.Clear();
                Changes.Clear();
            }
        }

        public void Dispose()
        {
            AmbientTransaction.Value = null;
            lock (org._lock)
            {
                if (Changes.Count > 0)
                {
                    org.Publish(new OrgCommit([.. Changes], org.Now(), UserId ?? org.DefaultUserId, Origin ?? ""));
                    Changes.Clear();
                }
            }
        }
    }

    private sealed record SaveContext(DateTimeOffset Now, string UserId, List<(ObjectStore Store, string Id, SObjectRecord? Previous)> Undo, List<RecordChange> Changes);
}
