using System.Text;
using System.Text.Json;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Segment.Destination;

namespace Sluice.Segment.Tests.Destination;

/// <summary>How <see cref="SegmentDestination.Encode"/> turns a record into one identify event.</summary>
public sealed class SegmentEncodingTests : IAsyncDisposable
{
    private const string SyncName = "users_to_segment";

    private static readonly ConfigLocation Location = new("test.yaml", 1, 1, "mapping");

    private static readonly SourceSchema Users = new(
        "public.users",
        [
            new SourceColumn("id", "bigint", ColumnType.Integer, IsNullable: true),
            new SourceColumn("anon", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("email", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("plan", "jsonb", ColumnType.Json, IsNullable: true),
            new SourceColumn("updated_at", "timestamptz", ColumnType.TimestampWithTimeZone, IsNullable: true),
        ],
        ["id"]);

    private static readonly DateTime UpdatedAt = new(2024, 3, 5, 6, 7, 8, 123, DateTimeKind.Utc);

    private readonly List<SegmentDestination> _destinations = [];

    [Fact]
    public void The_same_record_gets_the_same_message_id_from_any_destination_instance()
    {
        var first = Encode(Destination(), Values());
        var second = Encode(Destination(), Values());

        Assert.Equal(first.MessageId, second.MessageId);
        Assert.Equal(first.Json, second.Json);
    }

    [Fact]
    public void Encoding_a_record_twice_gives_the_same_message_id()
    {
        var destination = Destination();

        Assert.Equal(Encode(destination, Values()).MessageId, Encode(destination, Values()).MessageId);
    }

    [Fact]
    public void A_different_record_key_gets_a_different_message_id() =>
        Assert.NotEqual(Encode(Destination(), Values(), key: "42").MessageId, Encode(Destination(), Values(), key: "43").MessageId);

    [Fact]
    public void A_different_sync_gets_a_different_message_id() =>
        Assert.NotEqual(Encode(Destination("users_to_segment"), Values()).MessageId, Encode(Destination("users_to_segment_eu"), Values()).MessageId);

    [Theory]
    [InlineData("email")]
    [InlineData("plan")]
    [InlineData("updated_at")]
    [InlineData("anon")]
    public void A_change_to_any_mapped_value_gets_a_different_message_id(string column)
    {
        var changed = Values();
        var ordinal = Mapping(Destination()).Columns.ToList().IndexOf(column);
        changed[ordinal] = column switch
        {
            "email" => "new@example.com",
            "plan" => "{\"tier\":\"free\"}",
            "updated_at" => UpdatedAt.AddMilliseconds(1),
            _ => "anon-other",
        };

        Assert.NotEqual(Encode(Destination(), Values()).MessageId, Encode(Destination(), changed).MessageId);
    }

    [Fact]
    public void A_message_id_fits_segments_100_character_limit()
    {
        var longKey = new string('k', 5_000);

        var encoded = Encode(Destination(new string('s', 500)), Values(), key: longKey);

        Assert.InRange(encoded.MessageId.Length, 1, 100);
        Assert.StartsWith("sluice-", encoded.MessageId, StringComparison.Ordinal);
    }

    [Fact]
    public void The_payload_is_an_identify_event_in_segments_spec()
    {
        var encoded = Encode(Destination(), Values());

        using var json = JsonDocument.Parse(encoded.Json);
        var root = json.RootElement;
        Assert.Equal("identify", root.GetProperty("type").GetString());
        Assert.Equal("42", root.GetProperty("userId").GetString());
        Assert.Equal("anon-7", root.GetProperty("anonymousId").GetString());
        Assert.Equal("2024-03-05T06:07:08.123Z", root.GetProperty("timestamp").GetString());
        var traits = root.GetProperty("traits");
        Assert.Equal("ada@example.com", traits.GetProperty("email").GetString());
        Assert.Equal("pro", traits.GetProperty("plan").GetProperty("tier").GetString());
        var library = root.GetProperty("context").GetProperty("library");
        Assert.Equal("sluice", library.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(library.GetProperty("version").GetString()));
    }

    [Fact]
    public void The_message_id_is_the_last_property_of_the_event()
    {
        var encoded = Encode(Destination(), Values());

        using var json = JsonDocument.Parse(encoded.Json);
        var last = json.RootElement.EnumerateObject().Last();
        Assert.Equal("messageId", last.Name);
        Assert.Equal(encoded.MessageId, last.Value.GetString());
        Assert.Equal(["type", "userId", "anonymousId", "timestamp", "traits", "context", "messageId"], json.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void A_bigint_user_id_is_sent_as_a_string()
    {
        var values = Values();
        values[0] = 9_007_199_254_740_993L;

        using var json = JsonDocument.Parse(Encode(Destination(), values).Json);

        Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("userId").ValueKind);
        Assert.Equal("9007199254740993", json.RootElement.GetProperty("userId").GetString());
    }

    [Fact]
    public void A_null_timestamp_is_left_out_so_that_segment_uses_the_receipt_time()
    {
        var values = Values();
        values[Mapping(Destination()).Columns.ToList().IndexOf("updated_at")] = null;

        using var json = JsonDocument.Parse(Encode(Destination(), values).Json);

        Assert.False(json.RootElement.TryGetProperty("timestamp", out _));
    }

    [Fact]
    public void An_anonymous_id_alone_identifies_the_user()
    {
        var values = Values();
        values[0] = null;

        using var json = JsonDocument.Parse(Encode(Destination(), values).Json);

        Assert.False(json.RootElement.TryGetProperty("userId", out _));
        Assert.Equal("anon-7", json.RootElement.GetProperty("anonymousId").GetString());
    }

    [Fact]
    public void A_null_trait_is_sent_as_null()
    {
        var values = Values();
        values[Mapping(Destination()).Columns.ToList().IndexOf("email")] = null;

        using var json = JsonDocument.Parse(Encode(Destination(), values).Json);

        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("traits").GetProperty("email").ValueKind);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void A_record_with_neither_user_id_nor_anonymous_id_is_rejected(string? anonymousId)
    {
        var values = Values();
        values[0] = null;
        values[1] = anonymousId;

        var error = Assert.Throws<SluiceException>(() => Encode(Destination(), values));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Contains("user_id and anonymous_id are both NULL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_trait_rejects_the_record_with_the_sources_reason()
    {
        var values = Values();
        values[Mapping(Destination()).Columns.ToList().IndexOf("email")] = new UnreadableValue("column email: invalid UTF-8");

        var error = Assert.Throws<SluiceException>(() => Encode(Destination(), values));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Equal("column email: invalid UTF-8", error.Message);
    }

    [Fact]
    public void An_unreadable_timestamp_rejects_the_record()
    {
        var values = Values();
        values[Mapping(Destination()).Columns.ToList().IndexOf("updated_at")] = new UnreadableValue("timestamp out of range");

        Assert.Equal(ErrorClass.RecordRejected, Assert.Throws<SluiceException>(() => Encode(Destination(), values)).Class);
    }

    [Fact]
    public void An_unreadable_user_id_rejects_the_record()
    {
        var values = Values();
        values[0] = new UnreadableValue("numeric id beyond decimal range");

        var error = Assert.Throws<SluiceException>(() => Encode(Destination(), values));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
    }

    [Fact]
    public void A_rejected_record_leaves_the_encoder_ready_for_the_next_one()
    {
        var destination = Destination();
        var unreadable = Values();
        unreadable[Mapping(destination).Columns.ToList().IndexOf("email")] = new UnreadableValue("bad");
        Assert.Throws<SluiceException>(() => Encode(destination, unreadable));

        var next = Encode(destination, Values());

        Assert.Equal(Encode(Destination(), Values()).Json, next.Json);
    }

    [Fact]
    public void Nested_traits_are_nested_objects()
    {
        var destination = Destination();
        var spec = new MappingSpec(
            [
                Leaf("user_id", "id"),
                new FieldSpec("traits", null, [new FieldSpec("account", null, [Leaf("plan", "plan"), Leaf("email", "email")], Location)], Location),
            ],
            Location);
        var mapping = CompiledMapping.Compile(spec, Users, destination.Shape);
        var values = mapping.Columns.Select(c => c switch
        {
            "id" => (object?)42L,
            "plan" => "{\"tier\":\"pro\"}",
            _ => "ada@example.com",
        }).ToArray();

        var encoded = destination.Encode(new Change("42", ChangeOperation.Upsert, values, new Position()), mapping);

        using var json = JsonDocument.Parse(encoded.Payload);
        var account = json.RootElement.GetProperty("traits").GetProperty("account");
        Assert.Equal("pro", account.GetProperty("plan").GetProperty("tier").GetString());
        Assert.Equal("ada@example.com", account.GetProperty("email").GetString());
    }

    [Fact]
    public void The_encoded_record_carries_its_change()
    {
        var destination = Destination();
        var change = new Change("42", ChangeOperation.Upsert, Values(), new Position());

        var encoded = destination.Encode(change, Mapping(destination));

        Assert.Same(change, encoded.Change);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var destination in _destinations)
        {
            await destination.DisposeAsync();
        }
    }

    private SegmentDestination Destination(string syncName = SyncName)
    {
        var destination = new SegmentDestination(
            syncName,
            new SegmentConnectionOptions { Name = "segment", WriteKey = new Secret("k"), Endpoint = new Uri("http://127.0.0.1:9") },
            new SegmentDestinationOptions(),
            TimeProvider.System);
        _destinations.Add(destination);
        return destination;
    }

    /// <summary><c>user_id: id, anonymous_id: anon, timestamp: updated_at, traits: {email, plan}</c>.</summary>
    private static CompiledMapping Mapping(SegmentDestination destination) => CompiledMapping.Compile(
        new MappingSpec(
            [
                Leaf("user_id", "id"),
                Leaf("anonymous_id", "anon"),
                Leaf("timestamp", "updated_at"),
                new FieldSpec("traits", null, [Leaf("email", "email"), Leaf("plan", "plan")], Location),
            ],
            Location),
        Users,
        destination.Shape);

    private static FieldSpec Leaf(string target, string column) => new(target, column, null, Location);

    /// <summary>Values in <see cref="Mapping"/>'s column order: id, anon, updated_at, email, plan.</summary>
    private static object?[] Values() => [42L, "anon-7", UpdatedAt, "ada@example.com", "{\"tier\":\"pro\"}"];

    private static (string MessageId, string Json) Encode(SegmentDestination destination, object?[] values, string key = "42")
    {
        var encoded = destination.Encode(new Change(key, ChangeOperation.Upsert, values, new Position()), Mapping(destination));
        return (encoded.MessageId, Encoding.UTF8.GetString(encoded.Payload.Span));
    }

    private sealed class Position : SourcePosition
    {
        public override Sluice.Core.Checkpoints.Checkpoint ToCheckpoint() => new("test", 1, "0");
    }
}
