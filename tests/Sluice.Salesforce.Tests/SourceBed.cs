using System.Text.Json.Nodes;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Salesforce.Source;

namespace Sluice.Salesforce.Tests;

/// <summary>Opportunities in the test's own emulator, the Salesforce sources that read them, and whole reads of those sources.</summary>
internal sealed class SourceBed : IAsyncDisposable
{
    public static readonly string[] Columns = ["Id", "Name", "StageName", "Amount", "CloseDate", "Account.Name", "Owner.Email"];

    private SourceBed(SalesforceBed bed) => Bed = bed;

    public SalesforceBed Bed { get; }

    public SalesforceOrg Org => Bed.Emulator.Org;

    /// <summary>An emulator whose org runs on <paramref name="orgTime"/> (default the system clock); Sluice's clients keep the system clock.</summary>
    public static async Task<SourceBed> StartAsync(TimeProvider? orgTime = null) => new(await SalesforceBed.StartAsync(orgTime: orgTime));

    public SalesforceSource Source(TimeSpan? lookback = null, int pageSize = SalesforceSourceOptions.DefaultPageSize, int bulkPageSize = 50_000, string? where = null, IReadOnlyList<string>? fields = null,
        int bulkPollThreshold = SalesforceSourceOptions.DefaultBulkPollThreshold) =>
        new("test", Bed.Client(), new SalesforceSourceOptions
        {
            Object = "Opportunity",
            Fields = fields ?? Columns,
            Where = where,
            Lookback = lookback ?? SalesforceSourceOptions.DefaultLookback,
            PageSize = pageSize,
            BulkPageSize = bulkPageSize,
            BulkPollThreshold = bulkPollThreshold,
        });

    /// <summary>Creates an Account and answers its id.</summary>
    public string Account(string name) => Saved(Org.Save([new SaveRequest { Operation = SaveOperation.Insert, ObjectName = "Account", Fields = [new("Name", name)] }]))[0];

    /// <summary>Creates Opportunities named <paramref name="names"/> in one call (so with one SystemModstamp), answering their ids.</summary>
    public IReadOnlyList<string> Opportunities(IEnumerable<string> names, string? accountId = null, SaveOptions? options = null) =>
        Saved(Org.Save([.. names.Select(name => new SaveRequest
        {
            Operation = SaveOperation.Insert,
            ObjectName = "Opportunity",
            Fields = Fields(("Name", name), ("StageName", "Prospecting"), ("CloseDate", "2026-06-30"), ("Amount", 1000m), ("AccountId", accountId)),
        })], options));

    public void Update(string id, string name, SaveOptions? options = null) =>
        Saved(Org.Save([new SaveRequest { Operation = SaveOperation.Update, Id = id, Fields = [new("Name", name)] }], options));

    public void Delete(string id) => Saved(Org.Save([new SaveRequest { Operation = SaveOperation.Delete, Id = id }]));

    /// <summary>One whole read from <paramref name="from"/>: the records (not the position moves) and the checkpoint it ends at.</summary>
    public static async Task<(List<Change> Changes, Checkpoint End)> ReadAsync(ISource source, Checkpoint? from, IReadOnlyList<string>? columns = null)
    {
        var changes = new List<Change>();
        Change? last = null;
        using var limit = new CancellationTokenSource(Sluice.Testing.Eventually.DefaultLimit);
        await foreach (var change in source.ReadAsync(new ReadRequest(columns ?? Columns, from), limit.Token))
        {
            last = change;
            if (!change.IsProgress)
            {
                changes.Add(change);
            }
        }

        return (changes, Stored(last!.Position.ToCheckpoint()));
    }

    /// <summary>A checkpoint as the state store gives it back.</summary>
    public static Checkpoint Stored(Checkpoint checkpoint) => new(checkpoint.Format, checkpoint.Version, new string(checkpoint.Value.AsSpan()));

    public object? Value(Change change, string column) => change.Values[Array.IndexOf(Columns, column)];

    public ValueTask DisposeAsync() => Bed.DisposeAsync();

    private static List<KeyValuePair<string, JsonNode?>> Fields(params (string Name, object? Value)[] fields) =>
        [.. fields.Where(f => f.Value is not null).Select(f => new KeyValuePair<string, JsonNode?>(f.Name, f.Value switch
        {
            decimal d => JsonValue.Create(d),
            _ => JsonValue.Create((string)f.Value!),
        }))];

    private static List<string> Saved(IReadOnlyList<SaveResult> results)
    {
        Assert.All(results, r => Assert.True(r.Success, string.Join("; ", r.Errors.Select(e => e.Message))));
        return [.. results.Select(r => r.Id!)];
    }
}
