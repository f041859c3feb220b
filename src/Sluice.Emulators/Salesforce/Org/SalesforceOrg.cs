using System.Text.Json.Nodes;

namespace Sluice.Emulators.Salesforce.Org;

/// <summary>
/// The emulated org in memory: object schemas, records, ids and the delete log. Every write goes through
/// <see cref="Save"/>, the one save path REST, collections, composite and Bulk share, so the org's rules
/// (required fields, lengths, picklists, numbers, uniqueness, lookups) hold whatever the door. Thread-safe:
/// one lock around writes and snapshots; records are immutable, so what a reader got stays valid.
/// </summary>
public sealed partial class SalesforceOrg
{
    private const string DefaultOrganizationId = "00DHs0000000001";

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, SObjectSchema> _schemas = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SObjectSchema> _byPrefix = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ObjectStore> _stores = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<DeletedRecord> _deleteLog = [];
    private readonly Dictionary<string, string> _userIdsByName = new(StringComparer.OrdinalIgnoreCase);

    // Records saved with a commit lag (SaveOptions.CommitLag): what readers see of them until they become visible.
    private readonly Dictionary<string, (SObjectRecord? Before, DateTimeOffset VisibleAt)> _hidden = new(StringComparer.Ordinal);
    private long _sequence;

    /// <summary>Builds an org from <paramref name="definition"/> (the org file; null for <see cref="OrgDefinition.Default"/>).</summary>
    public SalesforceOrg(OrgDefinition? definition = null, TimeProvider? time = null)
    {
        Definition = definition ?? OrgDefinition.Default();
        if (Definition.Users.Count == 0)
        {
            Definition.Users.AddRange(OrgDefinition.Default().Users);
        }

        _time = time ?? TimeProvider.System;
        OrganizationId = Definition.OrganizationId is { } configured && SalesforceId.TryNormalize(configured, out var normalized)
            ? normalized
            : SalesforceId.To18(DefaultOrganizationId);
        foreach (var schema in OrgSchemaBuilder.Build(Definition))
        {
            _schemas[schema.Name] = schema;
            _byPrefix[schema.KeyPrefix] = schema;
            _stores[schema.Name] = new ObjectStore(schema);
        }

        Schemas = [.. _schemas.Values];
        CreateUsers();
    }

    /// <summary>The org file it was built from (users, connected apps, limits).</summary>
    public OrgDefinition Definition { get; }

    /// <summary>18-character organization id (<c>00D…</c>).</summary>
    public string OrganizationId { get; }

    /// <summary>Every object, standard first, in describe-global order.</summary>
    public IReadOnlyList<SObjectSchema> Schemas { get; }

    /// <summary>The id of the org's first user: the acting user when none is given.</summary>
    public string DefaultUserId => _userIdsByName[Definition.Users[0].Username];

    /// <summary>
    /// Told of every committed transaction, under the org's lock and so in commit order (Change Data Capture
    /// listens here). Must not call back into the org.
    /// </summary>
    internal Action<OrgCommit>? Committed { get; set; }

    /// <summary>
    /// Raised for every committed transaction, under the org's lock and in commit order, with its origin and records.
    /// Handlers must be quick and must not call back into the org.
    /// </summary>
    public event Action<OrgSave>? Saved;

    /// <summary>Tells <see cref="Committed"/> and <see cref="Saved"/> of a commit.</summary>
    private void Publish(OrgCommit commit)
    {
        Committed?.Invoke(commit);
        Saved?.Invoke(new OrgSave(commit.CommitTime, commit.UserId, commit.Origin,
            [.. commit.Changes.Select(c => new OrgSavedRecord(c.Type.ToString().ToLowerInvariant(), c.Before, c.After))]));
    }

    /// <summary>The clock behind every audit timestamp.</summary>
    public TimeProvider Time => _time;

    /// <summary>The object called <paramref name="name"/>, ignoring case.</summary>
    public bool TryGetSchema(string name, out SObjectSchema schema) => _schemas.TryGetValue(name, out schema!);

    /// <summary>The object whose ids start with <paramref name="keyPrefix"/>.</summary>
    public bool TryGetSchemaByPrefix(string keyPrefix, out SObjectSchema schema) => _byPrefix.TryGetValue(keyPrefix, out schema!);

    /// <summary>The User id of <paramref name="username"/>, if such a user exists.</summary>
    public string? UserId(string username) => _userIdsByName.GetValueOrDefault(username);

    /// <summary>The record with id <paramref name="id"/> (15 or 18 characters, deleted or not), or null.</summary>
    public SObjectRecord? Find(string id)
    {
        if (!SalesforceId.TryNormalize(id, out var id18) || !_byPrefix.TryGetValue(id18[..3], out var schema))
        {
            return null;
        }

        lock (_lock)
        {
            return Visible(_stores[schema.Name].Records.GetValueOrDefault(id18));
        }
    }

    /// <summary>A snapshot of an object's records in creation order; deleted ones only when asked (queryAll).</summary>
    public IReadOnlyList<SObjectRecord> Records(string objectName, bool includeDeleted = false)
    {
        if (!_stores.TryGetValue(objectName, out var store))
        {
            return [];
        }

        lock (_lock)
        {
            var records = _hidden.Count == 0 ? store.Records.Values : store.Records.Values.Select(Visible).OfType<SObjectRecord>();
            return includeDeleted ? [.. records] : [.. records.Where(r => !r.IsDeleted)];
        }
    }

    /// <summary>
    /// Empties the recycle bin (of one object, or of all): deleted records leave the org for good, so queryAll no longer
    /// finds them, while the delete log (getDeleted) keeps them for its 15 days. Answers how many records went.
    /// </summary>
    public int EmptyRecycleBin(string? objectName = null)
    {
        lock (_lock)
        {
            var purged = 0;
            foreach (var store in _stores.Values.Where(s => objectName is null || s.Schema.Name.Equals(objectName, StringComparison.OrdinalIgnoreCase)))
            {
                foreach (var record in store.Records.Values.Where(r => r.IsDeleted).ToList())
                {
                    store.Put(record.Id, null);
                    _hidden.Remove(record.Id);
                    purged++;
                }
            }

            return purged;
        }
    }

    /// <summary>Live records whose <paramref name="field"/> equals <paramref name="value"/> (external ids ignore case unless case-sensitive).</summary>
    public IReadOnlyList<SObjectRecord> FindBy(string objectName, string field, string value)
    {
        if (!_stores.TryGetValue(objectName, out var store) || !store.Schema.TryGetField(field, out var schema))
        {
            return [];
        }

        lock (_lock)
        {
            if (store.IsIndexed(schema.Name))
            {
                return [.. store.Lookup(schema, value).Select(id => store.Records[id])];
            }

            var comparison = schema.CaseSensitive ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
            return [.. store.Records.Values.Where(r => !r.IsDeleted && string.Equals(FieldValues.ToText(r.Values.GetValueOrDefault(schema.Name)), value, comparison))];
        }
    }

    /// <summary>Live records of an object whose SystemModstamp is in [<paramref name="start"/>, <paramref name="end"/>) (getUpdated).</summary>
    public IReadOnlyList<SObjectRecord> Updated(string objectName, DateTimeOffset start, DateTimeOffset end) =>
        [.. Records(objectName).Where(r => r.SystemModstamp >= start && r.SystemModstamp < end)];

    /// <summary>Delete-log entries of an object in [<paramref name="start"/>, <paramref name="end"/>) (getDeleted).</summary>
    public IReadOnlyList<DeletedRecord> Deleted(string objectName, DateTimeOffset start, DateTimeOffset end)
    {
        lock (_lock)
        {
            return [.. _deleteLog.Where(d => d.ObjectName.Equals(objectName, StringComparison.OrdinalIgnoreCase) && d.DeletedDate >= start && d.DeletedDate < end)];
        }
    }

    /// <summary>Live record counts per object (only objects that have any).</summary>
    public IReadOnlyDictionary<string, int> Counts()
    {
        lock (_lock)
        {
            return _stores.Values
                .Select(s => (s.Schema.Name, Count: s.Records.Values.Count(r => !r.IsDeleted)))
                .Where(c => c.Count > 0)
                .ToDictionary(c => c.Name, c => c.Count);
        }
    }

    /// <summary>Forgets every record but the users, and the delete log.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            foreach (var store in _stores.Values.Where(s => s.Schema.Name != "User"))
            {
                store.Clear();
            }

            _deleteLog.Clear();
            _hidden.Clear();
        }
    }

    /// <summary>The current time as Salesforce stores it (UTC, milliseconds).</summary>
    public DateTimeOffset Now() => FieldValues.TruncateToMilliseconds(_time.GetUtcNow());

    private void CreateUsers()
    {
        // The first user is created by itself: its id is reserved before the save so audit fields can point at it.
        foreach (var user in Definition.Users)
        {
            var id = NextId("005");
            _userIdsByName[user.Username] = id;
        }

        foreach (var user in Definition.Users)
        {
            var id = _userIdsByName[user.Username];
            var fields = new List<KeyValuePair<string, JsonNode?>>
            {
                new("Username", user.Username),
                new("FirstName", user.FirstName),
                new("LastName", user.LastName ?? user.Username.Split('@')[0]),
                new("Email", user.Email ?? user.Username),
                new("Alias", (user.LastName ?? user.Username)[..Math.Min(8, (user.LastName ?? user.Username).Length)]),
            };
            var result = SaveAs([new SaveRequest { Operation = SaveOperation.Insert, ObjectName = "User", Fields = fields }], new SaveOptions { UserId = id }, presetId: id)[0];
            if (!result.Success)
            {
                throw Sluice.Core.Errors.SluiceException.Config($"The org file's user \"{user.Username}\" is invalid: {result.Errors[0].Message}");
            }
        }
    }

    /// <summary>Removes deleted records for good (a hard delete): queryAll no longer finds them; the delete log keeps them.</summary>
    public void Purge(IEnumerable<string> ids)
    {
        lock (_lock)
        {
            foreach (var id in ids)
            {
                if (SalesforceId.TryNormalize(id, out var id18) && _byPrefix.TryGetValue(id18[..3], out var schema)
                    && _stores[schema.Name].Records.TryGetValue(id18, out var record) && record.IsDeleted)
                {
                    _stores[schema.Name].Put(id18, null);
                    _hidden.Remove(id18);
                }
            }
        }
    }

    /// <summary>Hides the versions a lagging save wrote (<see cref="SaveOptions.CommitLag"/>) until <paramref name="visibleAt"/>. Under the lock.</summary>
    private void HideUntil(List<(ObjectStore Store, string Id, SObjectRecord? Previous)> written, DateTimeOffset visibleAt)
    {
        foreach (var (_, id, previous) in written)
        {
            // A record written twice in the call (or still hidden from an earlier one) shows its oldest visible version.
            _hidden[id] = _hidden.TryGetValue(id, out var hidden) ? (hidden.Before, visibleAt > hidden.VisibleAt ? visibleAt : hidden.VisibleAt) : (previous, visibleAt);
        }
    }

    /// <summary>The version of <paramref name="record"/> readers see now: itself, or what it was before a lagging save. Under the lock.</summary>
    private SObjectRecord? Visible(SObjectRecord? record)
    {
        if (record is null || !_hidden.TryGetValue(record.Id, out var hidden))
        {
            return record;
        }

        if (hidden.VisibleAt <= _time.GetUtcNow())
        {
            _hidden.Remove(record.Id);
            return record;
        }

        return hidden.Before;
    }

    private string NextId(string keyPrefix) => SalesforceId.Create(keyPrefix, Interlocked.Increment(ref _sequence));
}
