using System.Text;
using System.Text.Json;
using Sluice.Core.Configuration;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Segment.Destination;

namespace Sluice.Segment.Tests.Destination;

/// <summary>
/// A Segment destination over an <c>orders</c>-like schema, with mappings written as YAML: what a test of
/// one encoded event needs, and nothing that sends.
/// </summary>
internal sealed class EncodingBed : IAsyncDisposable
{
    public static readonly SourceSchema Orders = new(
        "public.orders",
        [
            new SourceColumn("id", "bigint", ColumnType.Integer, IsNullable: false),
            new SourceColumn("user_id", "bigint", ColumnType.Integer, IsNullable: true),
            new SourceColumn("anon", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("account_id", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("plan", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("status", "order_status", ColumnType.Text, IsNullable: true),
            new SourceColumn("total", "numeric(12,2)", ColumnType.Decimal, IsNullable: true),
            new SourceColumn("precise", "numeric", ColumnType.Decimal, IsNullable: true),
            new SourceColumn("details", "jsonb", ColumnType.Json, IsNullable: true),
            new SourceColumn("tags", "text[]", ColumnType.Array, IsNullable: true),
            new SourceColumn("ip", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("updated_at", "timestamptz", ColumnType.TimestampWithTimeZone, IsNullable: true),
        ],
        ["id"]);

    public static readonly DateTime UpdatedAt = new(2024, 3, 5, 6, 7, 8, 123, DateTimeKind.Utc);

    private readonly List<SegmentDestination> _destinations = [];

    /// <summary>A row with every column set.</summary>
    public static Dictionary<string, object?> Row() => new()
    {
        ["id"] = 1001L,
        ["user_id"] = 42L,
        ["anon"] = "anon-7",
        ["account_id"] = "acme",
        ["plan"] = "pro",
        ["status"] = "paid",
        ["total"] = 129.90m,
        ["precise"] = 1234567890.123456789m,
        ["details"] = "{\"coupon\":\"SPRING\",\"shipping\":{\"method\":\"ups\",\"days\":2},\"items\":[{\"sku\":\"a\"}]}",
        ["tags"] = new[] { "gift", "priority" },
        ["ip"] = "203.0.113.9",
        ["updated_at"] = UpdatedAt,
    };

    /// <summary>
    /// The destination and compiled mapping of a sync whose <c>destination:</c> (without <c>connection:</c>) and
    /// <c>mapping:</c> bodies are given as YAML, loaded the way <c>sluice</c> loads a file: so these tests also
    /// cover <see cref="SegmentDestinationOptions.Bind"/> and the mapping checks against the destination's shape.
    /// </summary>
    public (SegmentDestination Destination, CompiledMapping Mapping) Sync(string destinationYaml, string mappingYaml, string syncName = "orders_to_segment")
    {
        var sync = Load(destinationYaml, mappingYaml, syncName);
        var destination = new SegmentDestination(
            syncName,
            new SegmentConnectionOptions { Name = "segment", WriteKey = new Secret("k"), Endpoint = new Uri("http://127.0.0.1:9") },
            SegmentDestinationOptions.Bind(sync.Destination),
            TimeProvider.System);
        _destinations.Add(destination);
        return (destination, CompiledMapping.Compile(sync.Mapping, Orders, destination.Shape));
    }

    /// <summary>The sync as loaded from a file, before the destination reads its keys.</summary>
    public static SyncConfig Load(string destinationYaml, string mappingYaml, string syncName = "orders_to_segment")
    {
        var yaml = $"""
            connections:
              app:
                type: postgres
                database: app
              segment:
                type: segment
                write_key: k
            syncs:
              {syncName}:
                source:
                  connection: app
                  table: public.orders
                  cursor: updated_at
                destination:
                  connection: segment
            {Indent(destinationYaml, 6)}
                mapping:
            {Indent(mappingYaml, 6)}

            """;
        return SluiceConfig.Parse(yaml, "sluice.yaml").Syncs.Single();
    }

    private static string Indent(string yaml, int spaces) =>
        string.Join('\n', yaml.Trim('\n').Split('\n').Select(l => new string(' ', spaces) + l));

    /// <summary>Encodes <paramref name="row"/> (default <see cref="Row"/>) and parses the payload.</summary>
    public static (JsonDocument Json, string MessageId, string Text) Encode(SegmentDestination destination, CompiledMapping mapping, Dictionary<string, object?>? row = null)
    {
        row ??= Row();
        var values = mapping.Columns.Select(c => row[c]).ToArray();
        var encoded = destination.Encode(new Change("1001", ChangeOperation.Upsert, values, new TestPosition()), mapping);
        var text = Encoding.UTF8.GetString(encoded.Payload.Span);
        return (JsonDocument.Parse(text), encoded.MessageId, text);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var destination in _destinations)
        {
            await destination.DisposeAsync();
        }
    }

    private sealed class TestPosition : SourcePosition
    {
        public override Sluice.Core.Checkpoints.Checkpoint ToCheckpoint() => new("test", 1, "0");
    }
}
