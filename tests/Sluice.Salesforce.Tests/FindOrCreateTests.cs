using System.Text.Json.Nodes;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Salesforce.Destination;

namespace Sluice.Salesforce.Tests;

/// <summary>
/// The destination's part in find-or-create and parents first: records found by <c>match:</c> (one SOQL query per
/// 200 keys, case-insensitive, literals escaped), records whose Id is known updated by it, and a Contact whose Account is
/// not in the org answered "waiting".
/// </summary>
public sealed class FindOrCreateTests : IAsyncLifetime
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
    public async Task Matching_finds_contacts_by_email_case_insensitively_with_one_query_per_200_keys()
    {
        Seed("Contact", Enumerable.Range(0, 450).Where(i => i % 2 == 0).Select(i => Fields(("LastName", $"User {i}"), ("Email", $"User{i}@Example.com"))));
        Seed("Contact", [Fields(("LastName", "Quote"), ("Email", "o'brien\\x@example.com"))]);
        var (destination, mapping) = await OpenAsync(withAccount: false);
        var records = Enumerable.Range(0, 450).Select(i => Encode(destination, mapping, $"u{i}", $"user{i}@example.com")).Append(Encode(destination, mapping, "q", "O'Brien\\x@example.com")).ToList();
        var queriesBefore = Queries();

        var found = await destination.MatchAsync(records, CancellationToken.None);

        Assert.Equal(3, Queries() - queriesBefore); // 451 distinct keys: 200 + 200 + 51
        var held = _bed.Held("Contact").ToDictionary(r => ((string)r.Get("Email")!).ToLowerInvariant(), r => r.Id);
        for (var i = 0; i < 450; i++)
        {
            Assert.Equal(i % 2 == 0 ? held[$"user{i}@example.com"] : null, found[i]);
        }

        Assert.Equal(held["o'brien\\x@example.com"], found[450]);
    }

    /// <summary>
    /// 200 long emails make a query URL past what a server takes (Salesforce answers 414 above 16,384 bytes of URI and
    /// headers, and advises far less): the lookups are split so each query's URL stays short, and every one is found.
    /// </summary>
    [Fact]
    public async Task Matching_long_keys_splits_the_lookups_so_no_query_url_is_too_long()
    {
        static string Email(int i) => $"someone.with.a.long.name.{i:000}@a-company-with-a-rather-long-domain-name.example";
        Seed("Contact", Enumerable.Range(0, 200).Where(i => i % 2 == 0).Select(i => Fields(("LastName", $"User {i}"), ("Email", Email(i)))));
        var (destination, mapping) = await OpenAsync(withAccount: false);
        var records = Enumerable.Range(0, 200).Select(i => Encode(destination, mapping, $"u{i}", Email(i))).ToList();

        var found = await destination.MatchAsync(records, CancellationToken.None);

        var held = _bed.Held("Contact").ToDictionary(r => (string)r.Get("Email")!, r => r.Id);
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(i % 2 == 0 ? held[Email(i)] : null, found[i]);
        }

        Assert.All(_bed.Emulator.Requests.Where(r => r.Path.Contains("/query", StringComparison.Ordinal)), r => Assert.Equal(200, r.Status));
    }

    [Fact]
    public async Task A_record_whose_id_is_known_is_updated_by_it_and_the_rest_are_created()
    {
        Seed("Contact", [Fields(("LastName", "Old name"), ("Email", "ann@example.com"))]);
        var existing = _bed.Held("Contact").Single().Id;
        var (destination, mapping) = await OpenAsync(withAccount: false);
        var ann = Encode(destination, mapping, "u1", "ANN@example.com", "Ann");
        var bob = Encode(destination, mapping, "u2", "bob@example.com", "Bob");
        var found = await destination.MatchAsync([ann, bob], CancellationToken.None);
        ann.KnownDestinationId = found[0];
        bob.KnownDestinationId = found[1];

        var results = await destination.WriteAsync([ann, bob], CancellationToken.None);

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(existing, results[0].DestinationId);
        var held = _bed.Held("Contact");
        Assert.Equal(2, held.Count);
        Assert.Equal("Ann", held.Single(r => r.Id == existing).Get("LastName"));
        Assert.Equal(results[1].DestinationId, held.Single(r => (string?)r.Get("Email") == "bob@example.com").Id);
    }

    [Fact]
    public async Task An_upsert_by_external_id_updates_by_the_known_id_even_through_bulk()
    {
        var client = _bed.Client();
        var destination = SalesforceBed.Destination(client, SalesforceBed.Upsert(bulkThreshold: 2));
        var shape = await DestinationShapes.ResolveAsync(destination, CancellationToken.None);
        var mapping = CompiledMapping.Compile(SalesforceBed.AccountMapping, SalesforceBed.Accounts, shape);
        var first = await destination.WriteAsync([destination.Encode(SalesforceBed.Change(mapping, "acct-1", SalesforceBed.Account(1)), mapping)], CancellationToken.None);
        var id = first[0].DestinationId!;

        // The row's key changed in the source (acct-1 → acct-9): by the known Id it is the same Salesforce record.
        var renamed = destination.Encode(SalesforceBed.Change(mapping, "acct-1", SalesforceBed.Account(9, name: "Renamed")), mapping);
        renamed.KnownDestinationId = id;
        var other = destination.Encode(SalesforceBed.Change(mapping, "acct-2", SalesforceBed.Account(2)), mapping);
        var results = await destination.WriteAsync([renamed, other], CancellationToken.None);

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(id, results[0].DestinationId);
        Assert.Equal(2, _bed.Held().Count);
        Assert.Equal("Renamed", _bed.Held().Single(r => r.Id == id).Get("Name"));
        Assert.Contains(_bed.Emulator.Requests, r => r.Method == "POST" && r.Path.EndsWith("/jobs/ingest", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_contact_whose_account_is_not_in_the_org_waits_instead_of_being_refused()
    {
        var (destination, mapping) = await OpenAsync(withAccount: true);
        var orphan = Encode(destination, mapping, "u1", "ann@example.com", "Ann", account: "acct-missing");

        var results = await destination.WriteAsync([orphan], CancellationToken.None);

        Assert.Equal(WriteStatus.Waiting, results[0].Status);
        Assert.Contains("waiting for its parent", results[0].Reason, StringComparison.Ordinal);
        Assert.Empty(_bed.Held("Contact"));
    }

    [Fact]
    public void Match_is_read_from_config_and_an_upsert_needs_match_or_an_external_id()
    {
        var options = SalesforceDestinationOptions.Bind(ConfigSection.Parse("object: Contact\nmatch: {Email: email}\n"));
        Assert.Equal(("Email", "email"), options.Match);
        var error = Assert.Throws<ConfigException>(() => SalesforceDestinationOptions.Bind(ConfigSection.Parse("object: Contact\n")));
        Assert.Contains("'match: {Email: email}'", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Soql_literals_escape_quotes_backslashes_and_control_characters()
    {
        Assert.Equal("'a\\'b\\\\c\\nd\\\"e'", SalesforceDestination.Quote("a'b\\c\nd\"e"));
    }

    private int Queries() => _bed.Emulator.Requests.Count(r => r.Path.Contains("/query", StringComparison.Ordinal));

    private void Seed(string objectName, IEnumerable<IReadOnlyList<KeyValuePair<string, JsonNode?>>> records)
    {
        var results = _bed.Emulator.Org.Save([.. records.Select(f => new SaveRequest { Operation = SaveOperation.Insert, ObjectName = objectName, Fields = f })]);
        Assert.All(results, r => Assert.True(r.Success));
    }

    private static IReadOnlyList<KeyValuePair<string, JsonNode?>> Fields(params (string Name, string Value)[] fields) =>
        [.. fields.Select(f => new KeyValuePair<string, JsonNode?>(f.Name, JsonValue.Create(f.Value)))];

    private async Task<(SalesforceDestination Destination, CompiledMapping Mapping)> OpenAsync(bool withAccount)
    {
        var destination = SalesforceBed.Destination(_bed.Client(), new SalesforceDestinationOptions { Object = "Contact", Match = ("Email", "email") });
        var shape = await DestinationShapes.ResolveAsync(destination, CancellationToken.None);
        List<FieldSpec> fields = [new("Email", "email", null, Location), new("LastName", "name", null, Location)];
        if (withAccount)
        {
            fields.Add(new FieldSpec("Account", null, [new FieldSpec("External_Id__c", "account_id", null, Location)], Location));
        }

        return (destination, CompiledMapping.Compile(new MappingSpec(fields, Location), Users, shape));
    }

    private static EncodedRecord Encode(SalesforceDestination destination, CompiledMapping mapping, string key, string email, string? name = null, string? account = null)
    {
        var values = new Dictionary<string, object?> { ["id"] = key, ["email"] = email, ["name"] = name ?? key, ["account_id"] = account };
        return destination.Encode(SalesforceBed.Change(mapping, key, values), mapping);
    }
}
