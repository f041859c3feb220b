using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.State;
using Sluice.Emulators.Segment;
using Sluice.Server.Hosting;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>Track and group syncs, and the <c>types:</c> options, on real PostgreSQL against the Segment emulator over HTTP.</summary>
public sealed class SegmentCallsTests
{
    private const string OrdersMapping = """
        mapping:
          user_id: user_id
          timestamp: updated_at
          properties:
            order_id: id
            status: status
            total: total
            precise: precise
            details: details
            tags: tags
            coupon: coupon
        """;

    [Fact]
    public async Task A_track_sync_sends_one_event_per_order_with_the_fixed_name_and_typed_properties()
    {
        await using var bed = await CallsBed.CreateAsync(nameof(A_track_sync_sends_one_event_per_order_with_the_fixed_name_and_typed_properties), """
            source: {connection: app, table: public.orders, cursor: updated_at}
            destination:
              connection: segment
              call: track
              event: Order Completed
            """ + "\n" + OrdersMapping);

        var result = await bed.RunAsync(RunKind.Incremental);

        Assert.Equal(3, result.Acknowledged);
        var tracks = bed.Tracks();
        Assert.Equal(3, tracks.Count);
        Assert.All(tracks, t => Assert.Equal("Order Completed", t.GetProperty("event").GetString()));
        var first = tracks.Single(t => t.GetProperty("userId").GetString() == "7");
        Assert.Equal("2024-05-01T10:00:00.000Z", first.GetProperty("originalTimestamp").GetString());
        var properties = first.GetProperty("properties");
        Assert.Equal(1, properties.GetProperty("order_id").GetInt64());
        Assert.Equal("paid", properties.GetProperty("status").GetString()); // a PostgreSQL enum, as its label
        Assert.Equal("129.90", properties.GetProperty("total").GetRawText());
        Assert.Equal("12345678901.123456789", properties.GetProperty("precise").GetString()); // 20 digits: a double would round it
        Assert.Equal("ups", properties.GetProperty("details").GetProperty("shipping").GetProperty("method").GetString());
        Assert.Equal(["gift", "priority"], properties.GetProperty("tags").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Null, properties.GetProperty("coupon").ValueKind);

        // A full resync of unchanged rows repeats the ids, so Segment drops the copies.
        await bed.RunAsync(RunKind.Full);
        Assert.Equal(3, bed.Emulator.Stats.Unique);
        Assert.Equal(3, bed.Emulator.Stats.Duplicates);
    }

    [Fact]
    public async Task A_templated_track_takes_its_name_from_the_row_and_a_row_without_the_name_column_is_dead_lettered()
    {
        await using var bed = await CallsBed.CreateAsync(nameof(A_templated_track_takes_its_name_from_the_row_and_a_row_without_the_name_column_is_dead_lettered), """
            source: {connection: app, table: public.orders, cursor: updated_at}
            destination:
              connection: segment
              call: track
              event: "Plan {plan} Started"
            mapping:
              user_id: user_id
              properties:
                status: status
            """);

        var result = await bed.RunAsync(RunKind.Incremental);

        Assert.Equal(2, result.Acknowledged);
        Assert.Equal(1, result.Rejected);
        Assert.Equal(["Plan pro Started", "Plan team Started"], bed.Tracks().Select(t => t.GetProperty("event").GetString()).Order(StringComparer.Ordinal));
        Assert.All(bed.Tracks(), t => Assert.False(t.GetProperty("properties").TryGetProperty("plan", out _))); // read for the name, not sent
        var reason = (string)(await bed.ScalarAsync("SELECT reason FROM sluice.dead_letters WHERE record_key = '3'"))!;
        Assert.Contains("needs column 'plan', which is NULL", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_group_sync_sends_each_account_with_its_owner_and_traits()
    {
        await using var bed = await CallsBed.CreateAsync(nameof(A_group_sync_sends_each_account_with_its_owner_and_traits), """
            source: {connection: app, table: public.accounts, cursor: updated_at}
            destination:
              connection: segment
              call: group
            mapping:
              group_id: id
              user_id: owner_id
              timestamp: updated_at
              traits:
                name: name
                plan: plan
                employees: seats
                mrr: mrr
            """);

        var result = await bed.RunAsync(RunKind.Incremental);

        Assert.Equal(2, result.Acknowledged);
        var groups = bed.Emulator.Messages("group").Select(m => JsonDocument.Parse(m.Json).RootElement).ToList();
        Assert.Equal(2, groups.Count);
        var acme = groups.Single(g => g.GetProperty("groupId").GetString() == "acme");
        Assert.Equal("7", acme.GetProperty("userId").GetString());
        var traits = acme.GetProperty("traits");
        Assert.Equal("Acme Inc.", traits.GetProperty("name").GetString());
        Assert.Equal("enterprise", traits.GetProperty("plan").GetString());
        Assert.Equal(250, traits.GetProperty("employees").GetInt32());
        Assert.Equal(12500.00m, traits.GetProperty("mrr").GetDecimal());
    }

    [Fact]
    public async Task Types_options_flatten_jsonb_stringify_numerics_and_omit_nulls_in_what_segment_receives()
    {
        await using var bed = await CallsBed.CreateAsync(nameof(Types_options_flatten_jsonb_stringify_numerics_and_omit_nulls_in_what_segment_receives), """
            source: {connection: app, table: public.orders, cursor: updated_at}
            destination:
              connection: segment
              call: track
              event: Order Completed
              types:
                jsonb: flatten
                separator: "."
                numeric: string
                nulls: omit
            """ + "\n" + OrdersMapping);

        await bed.RunAsync(RunKind.Incremental);

        var properties = bed.Tracks().Single(t => t.GetProperty("userId").GetString() == "7").GetProperty("properties");
        Assert.Equal("129.90", properties.GetProperty("total").GetString());
        Assert.Equal("ups", properties.GetProperty("details.shipping.method").GetString());
        Assert.Equal(2, properties.GetProperty("details.shipping.days").GetInt32());
        Assert.False(properties.TryGetProperty("details", out _));
        Assert.False(properties.TryGetProperty("coupon", out _));
        Assert.Equal(1, properties.GetProperty("order_id").GetInt64()); // a bigint is not a numeric: still a number
    }

    [Fact]
    public async Task A_track_sync_without_an_event_name_stops_before_reading_with_the_key_and_the_fix()
    {
        await using var bed = await CallsBed.CreateAsync(nameof(A_track_sync_without_an_event_name_stops_before_reading_with_the_key_and_the_fix), """
            source: {connection: app, table: public.orders, cursor: updated_at}
            destination:
              connection: segment
              call: track
            """ + "\n" + OrdersMapping);

        var error = await Assert.ThrowsAsync<ConfigException>(() => bed.RunAsync(RunKind.Incremental));

        Assert.Contains("syncs.calls.destination", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing required key 'event'", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, bed.Emulator.Stats.Events);
    }

    public static TheoryData<string> DocumentedExamples() => [.. DocsExamples().Select(e => e.Title)];

    [Theory]
    [MemberData(nameof(DocumentedExamples))]
    public async Task A_worked_example_in_docs_segment_md_sends_the_event_it_shows(string title)
    {
        var (_, sql, yaml, expected) = DocsExamples().Single(e => e.Title == title);
        var syncName = Regex.Match(yaml, @"^syncs:\n  (\w+):", RegexOptions.Multiline).Groups[1].Value;
        await using var bed = await CallsBed.CreateAsync("docs_" + syncName, sql, yaml);

        var result = await bed.RunAsync(RunKind.Incremental, syncName);

        Assert.Equal(1, result.Acknowledged);
        var documented = JsonNode.Parse(expected)!.AsObject();
        var received = JsonNode.Parse(bed.Emulator.Messages().Single().Json)!.AsObject();
        var shown = new JsonObject();
        foreach (var (name, _) in documented.Where(p => p.Key != "messageId"))
        {
            // Segment relabels the client's timestamp as originalTimestamp and corrects timestamp for clock skew.
            shown[name] = received[name == "timestamp" ? "originalTimestamp" : name]?.DeepClone();
        }

        documented.Remove("messageId");
        shown["context"]!["library"]!["version"] = documented["context"]!["library"]!["version"]!.DeepClone();
        Assert.Equal(documented.ToJsonString(), shown.ToJsonString());
        Assert.StartsWith("sluice-", received["messageId"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>The "Worked examples" of docs/segment.md: per <c>### S…</c> heading, its sql, yaml and json blocks.</summary>
    private static List<(string Title, string Sql, string Yaml, string Json)> DocsExamples()
    {
        var markdown = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "segment.md"));
        var examples = new List<(string, string, string, string)>();
        foreach (var section in Regex.Split(markdown, @"^### ", RegexOptions.Multiline).Where(s => s.StartsWith('S')))
        {
            string Block(string language) => Regex.Match(section, $"```{language}\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
            examples.Add((section[..section.IndexOf('\n', StringComparison.Ordinal)], Block("sql"), Block("yaml"), Block("json")));
        }

        Assert.Equal(4, examples.Count);
        return examples;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Sluice.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// A database with <c>orders</c> (an enum, numeric, jsonb, an array) and <c>accounts</c>, the emulator, and a
    /// sluice.yaml whose one sync, <c>calls</c>, is the YAML a test gives.
    /// </summary>
    private sealed class CallsBed : IAsyncDisposable
    {
        private const string Schema = """
                CREATE TYPE order_status AS ENUM ('pending', 'paid', 'refunded');
                CREATE TABLE orders (
                    id bigint PRIMARY KEY,
                    user_id bigint,
                    status order_status NOT NULL,
                    plan text,
                    total numeric(12,2),
                    precise numeric,
                    details jsonb,
                    tags text[],
                    coupon text,
                    updated_at timestamptz NOT NULL
                );
                INSERT INTO orders VALUES
                    (1, 7, 'paid', 'pro', 129.90, 12345678901.123456789,
                     '{"shipping": {"method": "ups", "days": 2}, "gift": true}', ARRAY['gift', 'priority'], NULL, '2024-05-01T10:00:00Z'),
                    (2, 8, 'pending', 'team', 15.00, 1.5, '{}', ARRAY[]::text[], 'SPRING', '2024-05-01T10:00:01Z'),
                    (3, 9, 'refunded', NULL, 0, NULL, NULL, NULL, NULL, '2024-05-01T10:00:02Z');
                CREATE TABLE accounts (
                    id text PRIMARY KEY,
                    owner_id bigint,
                    name text NOT NULL,
                    plan text,
                    seats int,
                    mrr numeric(12,2),
                    updated_at timestamptz NOT NULL
                );
                INSERT INTO accounts VALUES
                    ('acme', 7, 'Acme Inc.', 'enterprise', 250, 12500.00, '2024-05-01T10:00:00Z'),
                    ('globex', 8, 'Globex', 'team', 12, 480.00, '2024-05-01T10:00:01Z');
                """;

        private readonly TestBed _bed;
        private readonly SluiceWorkspace _workspace;

        private CallsBed(TestBed bed)
        {
            _bed = bed;
            _workspace = bed.Workspace();
        }

        public SegmentEmulator Emulator => _bed.Emulator;

        public static Task<CallsBed> CreateAsync(string name, string sync) =>
            CreateAsync(name, Schema, "syncs:\n  calls:\n" + string.Join('\n', sync.Split('\n').Select(l => "    " + l)));

        /// <summary>A database made by <paramref name="sql"/>, and a config of the test connections plus <paramref name="syncs"/> (a top-level <c>syncs:</c> block).</summary>
        public static async Task<CallsBed> CreateAsync(string name, string sql, string syncs) => new(await TestBed.CreateAsync(name, sql,
            at => $"""
                {at.Connections()}
                {syncs.TrimEnd()}

                """));

        public Task<Sluice.Core.Engine.RunResult> RunAsync(RunKind kind, string sync = "calls") => _workspace.RunAsync(sync, kind, null, default);

        public IReadOnlyList<JsonElement> Tracks() =>
            Emulator.Messages("track").Select(m => JsonDocument.Parse(m.Json).RootElement).ToList();

        public Task<object?> ScalarAsync(string sql) => _bed.ScalarAsync(sql);

        public async ValueTask DisposeAsync()
        {
            await _workspace.DisposeAsync();
            await _bed.DisposeAsync();
        }
    }
}
