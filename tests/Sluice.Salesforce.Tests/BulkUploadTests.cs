using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Salesforce.Destination;

namespace Sluice.Salesforce.Tests;

/// <summary>
/// Values that CSV has to quote, escape or carry whole, sent through the Bulk path into the emulator's Bulk API 2.0
/// ingest and read back from the org: what Salesforce holds must be exactly what the source held, and each result must
/// come back to its own record.
/// </summary>
public sealed class BulkUploadTests : IAsyncLifetime
{
    private static readonly ConfigLocation Location = new("test.yaml", 1, 1, "syncs.test.mapping");

    private static readonly SourceSchema Schema = new(
        "public.accounts",
        [
            new SourceColumn("id", "text", ColumnType.Text, IsNullable: false),
            new SourceColumn("name", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("description", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("phone", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("employees", "integer", ColumnType.Integer, IsNullable: true),
            new SourceColumn("parent_id", "text", ColumnType.Text, IsNullable: true),
        ],
        ["id"]);

    private static readonly MappingSpec Mapping = new(
        [
            new FieldSpec("External_Id__c", "id", null, Location),
            new FieldSpec("Name", "name", null, Location),
            new FieldSpec("Description", "description", null, Location),
            new FieldSpec("Phone", "phone", null, Location),
            new FieldSpec("NumberOfEmployees", "employees", null, Location),
            new FieldSpec("Parent", null, [new FieldSpec("External_Id__c", "parent_id", null, Location)], Location),
        ],
        Location);

    private SalesforceBed _bed = null!;

    public async Task InitializeAsync() => _bed = await SalesforceBed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private async Task<(SalesforceDestination Destination, CompiledMapping Mapping)> OpenAsync(long maxUploadBytes = 100_000_000)
    {
        var destination = new SalesforceDestination("test", _bed.Client(), SalesforceBed.Upsert(bulkThreshold: 2)) { MaxUploadBytes = maxUploadBytes };
        var shape = await DestinationShapes.ResolveAsync(destination, CancellationToken.None);
        return (destination, CompiledMapping.Compile(Mapping, Schema, shape));
    }

    private static Dictionary<string, object?> Row(string id, string? name, string? description = null, string? phone = null, int? employees = null, string? parent = null) => new()
    {
        ["id"] = id,
        ["name"] = name,
        ["description"] = description,
        ["phone"] = phone,
        ["employees"] = employees,
        ["parent_id"] = parent,
    };

    private static async Task<IReadOnlyList<WriteResult>> WriteAsync(SalesforceDestination destination, CompiledMapping mapping, params Dictionary<string, object?>[] rows) =>
        await destination.WriteAsync([.. rows.Select(r => destination.Encode(SalesforceBed.Change(mapping, (string)r["id"]!, r), mapping))], CancellationToken.None);

    private Sluice.Emulators.Salesforce.Org.SObjectRecord Held(string id) => _bed.Held().Single(r => (string?)r.Get("External_Id__c") == id);

    [Fact]
    public async Task Quotes_commas_line_breaks_and_unicode_reach_Salesforce_exactly_and_each_result_finds_its_record()
    {
        var (destination, mapping) = await OpenAsync();
        string[] names =
        [
            "Acme, Inc.",
            "Say \"hi\"",
            "\"",
            "two\nlines",
            "crlf\r\nline",
            "trailing comma,",
            "Zürich Käse 東京 🚀 e\u0301",
            " leading and trailing spaces ",
            "#N/A look-alike? no: N/A",
            "x",
        ];
        var rows = names.Select((n, i) => Row($"acct-{i}", n, description: n + "\n" + n, phone: i % 2 == 0 ? "+1 (555) 0100" : null)).ToArray();

        var results = await WriteAsync(destination, mapping, rows);

        Assert.Contains(_bed.Emulator.Requests, r => r.Method == "PUT" && r.Path.EndsWith("/batches", StringComparison.Ordinal));
        for (var i = 0; i < names.Length; i++)
        {
            Assert.Equal(WriteStatus.Ok, results[i].Status);
            var held = Held($"acct-{i}");
            Assert.Equal(held.Id, results[i].DestinationId);
            Assert.Equal(names[i], held.Get("Name"));
            Assert.Equal(names[i] + "\n" + names[i], held.Get("Description"));
            Assert.Equal(i % 2 == 0 ? "+1 (555) 0100" : null, held.Get("Phone"));
        }
    }

    [Fact]
    public async Task A_null_clears_the_field_and_a_very_long_text_arrives_whole()
    {
        var (destination, mapping) = await OpenAsync();
        await WriteAsync(destination, mapping, Row("acct-1", "One", "was here", "+1 555 0101", 10), Row("acct-2", "Two", "also", "+1 555 0102", 20));
        var longText = string.Concat(Enumerable.Range(0, 5_000).Select(i => $"{i},\"q\"\n"));

        var results = await WriteAsync(destination, mapping, Row("acct-1", "One", description: null, phone: null, employees: null), Row("acct-2", "Two", description: longText[..32_000], phone: "+1 555 0102", employees: 21));

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        var one = Held("acct-1");
        Assert.Null(one.Get("Description"));
        Assert.Null(one.Get("Phone"));
        Assert.Null(one.Get("NumberOfEmployees"));
        var two = Held("acct-2");
        Assert.Equal(longText[..32_000], two.Get("Description"));
        Assert.Equal(21, Convert.ToInt32(two.Get("NumberOfEmployees"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_parent_by_external_id_and_a_null_parent_share_one_upload()
    {
        var (destination, mapping) = await OpenAsync();
        await WriteAsync(destination, mapping, Row("parent-1", "Parent, One"), Row("parent-2", "Parent Two"));
        await WriteAsync(destination, mapping, Row("child-1", "Child", parent: "parent-1"), Row("child-2", "Orphan", parent: "parent-2"));

        var results = await WriteAsync(destination, mapping, Row("child-1", "Child", parent: "parent-2"), Row("child-2", "Orphan", parent: null));

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(Held("parent-2").Id, Held("child-1").Get("ParentId"));
        Assert.Null(Held("child-2").Get("ParentId"));
    }

    [Fact]
    public async Task A_batch_whose_CSV_passes_the_upload_limit_goes_as_several_jobs_and_every_record_is_answered()
    {
        var (destination, mapping) = await OpenAsync(maxUploadBytes: 2_000);
        var rows = Enumerable.Range(0, 60).Select(i => Row($"acct-{i}", $"Account \"{i}\", with a comma", description: new string('d', 40))).ToArray();

        var results = await WriteAsync(destination, mapping, rows);

        var jobs = _bed.Emulator.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/jobs/ingest", StringComparison.Ordinal));
        Assert.True(jobs >= 3, $"expected the 60 rows (about 6 KB of CSV) in at least 3 uploads of at most 2,000 bytes, saw {jobs} jobs");
        Assert.Equal(60, _bed.Held().Count);
        for (var i = 0; i < rows.Length; i++)
        {
            Assert.Equal(WriteStatus.Ok, results[i].Status);
            Assert.Equal(Held($"acct-{i}").Id, results[i].DestinationId);
        }
    }
}
