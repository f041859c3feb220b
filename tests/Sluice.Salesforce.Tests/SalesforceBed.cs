using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Salesforce.Connection;
using Sluice.Salesforce.Destination;

namespace Sluice.Salesforce.Tests;

/// <summary>
/// A Salesforce emulator of the test's own, in process, with custom fields on Account for every type the destination
/// encodes, and the clients and destinations the tests write through.
/// </summary>
internal sealed class SalesforceBed : IAsyncDisposable
{
    public const string ClientId = "sluice-client";
    public const string ClientSecret = "sluice-secret";
    public const string Username = "admin@sluice.test";
    public const string Password = "sluice";
    public const string RefreshToken = "sluice-refresh-token";

    private static readonly ConfigLocation Location = new("test.yaml", 1, 1, "syncs.test.mapping");
    private readonly List<SalesforceClient> _clients = [];

    private SalesforceBed(SalesforceEmulator emulator) => Emulator = emulator;

    public SalesforceEmulator Emulator { get; }

    public static async Task<SalesforceBed> StartAsync(string? jwtCertificate = null, TimeProvider? orgTime = null)
    {
        var org = OrgDefinition.Default();
        org.ConnectedApps[0].Certificate = jwtCertificate;
        org.Objects["Account"] = new ObjectDefinition
        {
            Fields = new()
            {
                ["External_Id__c"] = new FieldDefinition { Type = "string", Length = 40, ExternalId = true, Unique = true },
                ["Tier__c"] = new FieldDefinition { Type = "picklist", Values = ["Trial", "Customer"], Restricted = true },
                ["MRR__c"] = new FieldDefinition { Type = "currency", Precision = 18, Scale = 2 },
                ["Renewal__c"] = new FieldDefinition { Type = "date" },
                ["Last_Seen__c"] = new FieldDefinition { Type = "datetime" },
                ["Active__c"] = new FieldDefinition { Type = "boolean" },
                ["Features__c"] = new FieldDefinition { Type = "multipicklist", Values = ["sso", "api", "audit"], Restricted = true },
                ["Settings__c"] = new FieldDefinition { Type = "textarea", Length = 1000 },
            },
        };
        org.Objects["Contact"] = new ObjectDefinition
        {
            Fields = new() { ["External_Id__c"] = new FieldDefinition { Type = "string", Length = 40, ExternalId = true, Unique = true } },
        };
        return new SalesforceBed(await SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions { Port = 0, Org = org, TimeProvider = orgTime ?? TimeProvider.System }));
    }

    public SalesforceConnectionOptions Connection(SalesforceAuthOptions? auth = null, double maxDailyShare = 0.5) => new()
    {
        Name = "sf",
        LoginUrl = new Uri(Emulator.InstanceUrl),
        Auth = auth ?? new SalesforceAuthOptions
        {
            Flow = SalesforceAuthFlow.Password,
            ClientId = ClientId,
            ClientSecret = new Secret(ClientSecret),
            Username = Username,
            Password = new Secret(Password),
        },
        MaxDailyShare = maxDailyShare,
    };

    public SalesforceClient Client(SalesforceConnectionOptions? connection = null)
    {
        var client = new SalesforceClient(connection ?? Connection(), TimeProvider.System);
        _clients.Add(client);
        return client;
    }

    public static SalesforceDestination Destination(SalesforceClient client, SalesforceDestinationOptions options) => new("test", client, options);

    public static SalesforceDestinationOptions Upsert(string objectName = "Account", int bulkThreshold = SalesforceDestinationOptions.DefaultBulkThreshold,
        IReadOnlyDictionary<string, SalesforceFieldOptions>? fields = null, bool delete = false) => new()
        {
            Object = objectName,
            Operation = SalesforceOperation.Upsert,
            ExternalId = "External_Id__c",
            BulkThreshold = bulkThreshold,
            Fields = fields ?? new Dictionary<string, SalesforceFieldOptions>(),
            Delete = delete,
        };

    /// <summary>The columns of an accounts table as a PostgreSQL source would report them.</summary>
    public static SourceSchema Accounts { get; } = new(
        "public.accounts",
        [
            new SourceColumn("id", "text", ColumnType.Text, IsNullable: false),
            new SourceColumn("name", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("plan", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("mrr", "numeric", ColumnType.Decimal, IsNullable: true),
            new SourceColumn("renews_on", "date", ColumnType.Date, IsNullable: true),
            new SourceColumn("last_seen", "timestamptz", ColumnType.TimestampWithTimeZone, IsNullable: true),
            new SourceColumn("active", "boolean", ColumnType.Boolean, IsNullable: true),
            new SourceColumn("features", "text[]", ColumnType.Array, IsNullable: true),
            new SourceColumn("settings", "jsonb", ColumnType.Json, IsNullable: true),
        ],
        ["id"]);

    /// <summary>Every column onto its Account field; <c>External_Id__c: id</c>.</summary>
    public static MappingSpec AccountMapping { get; } = new(
        [
            new FieldSpec("External_Id__c", "id", null, Location),
            new FieldSpec("Name", "name", null, Location),
            new FieldSpec("Tier__c", "plan", null, Location),
            new FieldSpec("MRR__c", "mrr", null, Location),
            new FieldSpec("Renewal__c", "renews_on", null, Location),
            new FieldSpec("Last_Seen__c", "last_seen", null, Location),
            new FieldSpec("Active__c", "active", null, Location),
            new FieldSpec("Features__c", "features", null, Location),
            new FieldSpec("Settings__c", "settings", null, Location),
        ],
        Location);

    public static Dictionary<string, object?> Account(int i, string? name = null, string plan = "Trial") => new()
    {
        ["id"] = $"acct-{i}",
        ["name"] = name ?? $"Account {i}",
        ["plan"] = plan,
        ["mrr"] = 99.50m + i,
        ["renews_on"] = new DateOnly(2025, 1, 1).AddDays(i),
        ["last_seen"] = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero).AddMinutes(i),
        ["active"] = true,
        ["features"] = new[] { "sso", "api" },
        ["settings"] = """{"seats": 5}""",
    };

    public static Change Change(CompiledMapping mapping, string key, IReadOnlyDictionary<string, object?> values, ChangeOperation operation = ChangeOperation.Upsert) =>
        new(key, operation, operation == ChangeOperation.Delete ? new object?[mapping.Columns.Count] : [.. mapping.Columns.Select(c => values[c])], new Sluice.Testing.Doubles.TestPosition(0));

    public IReadOnlyList<SObjectRecord> Held(string objectName = "Account") => Emulator.Org.Records(objectName);

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await Emulator.DisposeAsync();
    }
}
