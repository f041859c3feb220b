using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Salesforce.Connection;
using Sluice.Salesforce.Describe;

namespace Sluice.Salesforce.Source;

/// <summary>
/// Reads an sObject (docs/salesforce.md, "Salesforce → PostgreSQL"): the first run loads every record through a Bulk
/// API 2.0 query job; every run after polls with REST queries by the <c>(SystemModstamp, Id)</c> keyset from the lookback
/// floor, hands on only the versions it has not handed on before (<see cref="DeliveredWindow"/>), and finds deletes
/// through <c>queryAll</c> (<c>IsDeleted = true</c>) and getDeleted (records purged from the recycle bin). A run reads
/// what is there and ends; the sync's <c>schedule:</c> paces the polls.
/// </summary>
internal sealed partial class SalesforceSource : ISource
{
    /// <summary>Fields every read selects besides the sync's, to page, de-duplicate and tell deletes apart.</summary>
    private static readonly string[] SystemFields = ["Id", "SystemModstamp", "CreatedDate", "IsDeleted"];

    private readonly string _sync;
    private readonly SalesforceClient _client;
    private readonly SalesforceSourceOptions _options;
    private Task<Resolved>? _resolved;

    public SalesforceSource(string sync, SalesforceClient client, SalesforceSourceOptions options)
    {
        _sync = sync;
        _client = client;
        _options = options;
    }

    public string Description => $"Salesforce {_options.Object} on connection '{_client.Options.Name}'";

    /// <summary>Polling tells new, changed and deleted records apart: <c>CreatedDate</c>, <c>SystemModstamp</c>, <c>IsDeleted</c>.</summary>
    public ChangeKinds Detects => ChangeKinds.Added | ChangeKinds.Changed | ChangeKinds.Deleted;

    /// <summary>How changes are found: <c>poll</c>, or <c>stream</c> (Change Data Capture, <see cref="Streaming.ChangeStream"/>).</summary>
    public string Changes => _options.Changes;

    /// <summary>In <c>stream</c> mode a read follows the change events until it is stopped.</summary>
    public bool Streams => _options.Changes == "stream";

    /// <summary>For tests: the HTTP handler the change stream's CometD client uses.</summary>
    internal HttpMessageHandler? StreamingHandler { get; init; }

    public async Task CheckAsync(CancellationToken ct) => await ResolveAsync(ct);

    public async Task<SourceSchema> DiscoverAsync(CancellationToken ct)
    {
        var resolved = await ResolveAsync(ct);
        var columns = new List<SourceColumn>();
        foreach (var field in resolved.Select.Where(f => f.Path == "Id" || _options.Fields.Contains(f.Path, StringComparer.OrdinalIgnoreCase)))
        {
            columns.Add(field.Column);
        }

        return new SourceSchema(_options.Object, columns, ["Id"]);
    }

    public Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct) => Task.FromResult<long?>(null);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Task<Resolved> ResolveAsync(CancellationToken ct)
    {
        var task = _resolved;
        if (task is null || task.IsFaulted || task.IsCanceled)
        {
            _resolved = task = ResolveFieldsAsync(ct);
        }

        return task;
    }

    /// <summary>Checks the object and every field against describe, and resolves relationship paths to the fields they end at.</summary>
    private async Task<Resolved> ResolveFieldsAsync(CancellationToken ct)
    {
        var root = await DescribeAsync(_options.Object, _options.LocationOf("object"), ct);
        var select = new List<SourceField>();
        foreach (var path in _options.Fields.Concat(SystemFields))
        {
            var field = await ResolvePathAsync(root, path, ct);
            if (!select.Any(f => f.Path.Equals(field.Path, StringComparison.OrdinalIgnoreCase)))
            {
                select.Add(field);
            }
        }

        return new Resolved(root.Name, select);
    }

    private async Task<SourceField> ResolvePathAsync(SObjectDescription root, string path, CancellationToken ct)
    {
        var steps = path.Split('.');
        var description = root;
        var canonical = new List<string>(steps.Length);
        for (var i = 0; i < steps.Length - 1; i++)
        {
            if (!description.ByRelationship.TryGetValue(steps[i], out var reference) || reference.ReferenceTo.Count == 0)
            {
                var suggestion = NameSuggestions.Closest(steps[i], description.ByRelationship.Keys);
                throw new ConfigException(_options.LocationOf("fields"),
                    $"'{path}': {description.Name} has no relationship '{steps[i]}'",
                    suggestion is null ? "a parent field is written through the relationship's name: Account.Name (AccountId's relationship is Account)" : $"did you mean '{suggestion}'?");
            }

            canonical.Add(reference.RelationshipName!);
            // A polymorphic lookup (Owner: User or Group) is read as its User when it can be one.
            var parent = reference.ReferenceTo.FirstOrDefault(r => r == "User") ?? reference.ReferenceTo[0];
            description = await DescribeAsync(parent, _options.LocationOf("fields"), ct);
        }

        if (!description.ByName.TryGetValue(steps[^1], out var field))
        {
            var suggestion = NameSuggestions.Closest(steps[^1], description.ByName.Keys);
            throw new ConfigException(_options.LocationOf("fields"),
                $"'{path}': {description.Name} has no field '{steps[^1]}' (or the integration user cannot see it)",
                suggestion is null ? "check the field's API name in Setup → Object Manager" : $"did you mean '{suggestion}'?");
        }

        canonical.Add(field.Name);
        return new SourceField(string.Join('.', canonical), canonical, field);
    }

    private async Task<SObjectDescription> DescribeAsync(string objectName, ConfigLocation? location, CancellationToken ct)
    {
        try
        {
            return await _client.DescribeAsync(objectName, ct);
        }
        catch (SluiceException e) when (e.Message.Contains("answered 404", StringComparison.Ordinal))
        {
            throw new ConfigException(location,
                $"sync '{_sync}': Salesforce connection '{_client.Options.Name}' has no object '{objectName}' (or the integration user cannot see it)",
                "check the object's API name (custom objects end in __c) and the user's object permissions");
        }
    }

    /// <summary>The fields a read selects, in SOQL order: the sync's, then the system fields it does not list.</summary>
    private sealed record Resolved(string ObjectName, IReadOnlyList<SourceField> Select)
    {
        public int IndexOf(string path) => Select.ToList().FindIndex(f => f.Path.Equals(path, StringComparison.OrdinalIgnoreCase));

        public string SelectList => string.Join(", ", Select.Select(f => f.Path));
    }
}
