using System.Security.Cryptography;
using System.Text;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Salesforce.Destination;

namespace Sluice.Salesforce.Tests;

/// <summary>
/// A record whose names and texts the JSON writer writes as they are is encoded without its payload and message id: both
/// are made from its Bulk cells when first asked for (on the Bulk path, while Salesforce processes the job). They must be
/// the very bytes and id the encoder writes at once for any other record — each cell's kind (text, null, number or
/// boolean, a parent by external id) written as before — and the size the batch counts must be the payload's length.
/// </summary>
public sealed class DeferredPayloadTests : IAsyncLifetime
{
    private static readonly ConfigLocation Location = new("test.yaml", 1, 1, "syncs.test.mapping");

    private static readonly SourceSchema Users = new(
        "public.users",
        [
            new SourceColumn("id", "text", ColumnType.Text, IsNullable: false),
            new SourceColumn("email", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("name", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("account_id", "text", ColumnType.Text, IsNullable: true),
        ],
        ["id"]);

    private SalesforceBed _bed = null!;

    public async Task InitializeAsync() => _bed = await SalesforceBed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task A_plain_record_makes_the_payload_and_message_id_of_its_definition_when_asked_and_counts_its_exact_size()
    {
        var destination = SalesforceBed.Destination(_bed.Client(), SalesforceBed.Upsert());
        var shape = await DestinationShapes.ResolveAsync(destination, CancellationToken.None);
        var spec = new MappingSpec(
            [
                new FieldSpec("External_Id__c", "id", null, Location),
                new FieldSpec("Name", "name", null, Location),
                new FieldSpec("Tier__c", "plan", null, Location),
                new FieldSpec("MRR__c", "mrr", null, Location),
                new FieldSpec("Renewal__c", "renews_on", null, Location),
                new FieldSpec("Active__c", "active", null, Location),
            ],
            Location);
        var mapping = CompiledMapping.Compile(spec, SalesforceBed.Accounts, shape);
        var values = SalesforceBed.Account(2, name: "Acme, Inc. 2/3 @HQ");
        values["plan"] = null;
        values["mrr"] = -1234.50m;

        var encoded = destination.Encode(new Change("acct-2", ChangeOperation.Upsert, [.. mapping.Columns.Select(c => values[c])], new Sluice.Testing.Doubles.TestPosition(0)) { Version = "v1" }, mapping);

        const string Expected = """{"External_Id__c":"acct-2","Name":"Acme, Inc. 2/3 @HQ","Tier__c":null,"MRR__c":-1234.50,"Renewal__c":"2025-01-03","Active__c":true}""";
        Assert.Equal(Expected.Length, encoded.Size);
        Assert.Equal(IdOf("Account", "Upsert", "acct-2", "v1", Expected), encoded.MessageId);
        Assert.Equal(Expected, Encoding.UTF8.GetString(encoded.Payload.Span));
    }

    [Fact]
    public async Task A_parent_by_external_id_and_a_missing_parent_are_written_as_before()
    {
        var destination = SalesforceBed.Destination(_bed.Client(), new SalesforceDestinationOptions { Object = "Contact", Operation = SalesforceOperation.Insert });
        var shape = await DestinationShapes.ResolveAsync(destination, CancellationToken.None);
        var spec = new MappingSpec(
            [
                new FieldSpec("Email", "email", null, Location),
                new FieldSpec("LastName", "name", null, Location),
                new FieldSpec("Account", null, [new FieldSpec("External_Id__c", "account_id", null, Location)], Location),
            ],
            Location);
        var mapping = CompiledMapping.Compile(spec, Users, shape);

        var withParent = Encode(destination, mapping, "u-1", "ann@example.com", "Lee", "acct-7");
        var without = Encode(destination, mapping, "u-2", "bo@example.com", "Bo", null);

        const string WithParent = """{"Email":"ann@example.com","LastName":"Lee","Account":{"External_Id__c":"acct-7"}}""";
        const string Without = """{"Email":"bo@example.com","LastName":"Bo","AccountId":null}""";
        Assert.Equal((WithParent.Length, Without.Length), (withParent.Size, without.Size));
        Assert.Equal(IdOf("Contact", "Upsert", "u-1", null, WithParent), withParent.MessageId);
        Assert.Equal(IdOf("Contact", "Upsert", "u-2", null, Without), without.MessageId);
        Assert.Equal(WithParent, Encoding.UTF8.GetString(withParent.Payload.Span));
        Assert.Equal(Without, Encoding.UTF8.GetString(without.Payload.Span));
    }

    [Fact]
    public async Task A_record_with_text_the_writer_escapes_is_encoded_at_once_with_the_same_payload_and_id()
    {
        var destination = SalesforceBed.Destination(_bed.Client(), new SalesforceDestinationOptions { Object = "Contact", Operation = SalesforceOperation.Insert });
        var shape = await DestinationShapes.ResolveAsync(destination, CancellationToken.None);
        var spec = new MappingSpec([new FieldSpec("Email", "email", null, Location), new FieldSpec("LastName", "name", null, Location)], Location);
        var mapping = CompiledMapping.Compile(spec, Users, shape);

        var encoded = Encode(destination, mapping, "u-3", "zoé+1@example.com", "O\"Neil <x>", null);

        const string Expected = """{"Email":"zo\u00E9\u002B1@example.com","LastName":"O\u0022Neil \u003Cx\u003E"}""";
        Assert.Equal(Expected, Encoding.UTF8.GetString(encoded.Payload.Span));
        Assert.Equal(Expected.Length, encoded.Size);
        Assert.Equal(IdOf("Contact", "Upsert", "u-3", null, Expected), encoded.MessageId);
    }

    private static EncodedRecord Encode(SalesforceDestination destination, CompiledMapping mapping, string key, string email, string name, string? account)
    {
        var values = new Dictionary<string, object?> { ["id"] = key, ["email"] = email, ["name"] = name, ["account_id"] = account };
        return destination.Encode(SalesforceBed.Change(mapping, key, values), mapping);
    }

    /// <summary><c>sluice-</c> and the first 16 bytes of SHA-256 over the id's definition (MessageIdTests).</summary>
    private static string IdOf(string objectName, string operation, string key, string? version, string payload) =>
        "sluice-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"test\n{objectName}\n{operation}\n{key}\n{version}\n{payload}")).AsSpan(0, 16));
}
