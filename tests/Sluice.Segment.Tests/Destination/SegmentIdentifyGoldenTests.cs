using System.Text;
using Sluice.Core.Configuration;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Segment.Destination;

namespace Sluice.Segment.Tests.Destination;

/// <summary>
/// The exact bytes and messageId of identify events, as released: a resync after an upgrade must repeat the
/// ids Segment already has, or every user is sent again. Change these only on purpose. (The library version is
/// part of the hashed event, so a version bump changes every id: update the expectations with it.)
/// </summary>
public sealed class SegmentIdentifyGoldenTests : IAsyncDisposable
{
    private static readonly ConfigLocation Location = new("t", 1, 1, "m");

    private readonly SegmentDestination _destination = new(
        "s",
        new SegmentConnectionOptions { Name = "segment", WriteKey = new Secret("k") },
        new SegmentDestinationOptions(),
        TimeProvider.System);

    [Theory]
    [InlineData(1, "sluice-83e9d7e82a6ff5068484b266053fc325",
        """{"type":"identify","userId":"1","timestamp":"2024-01-02T03:04:05.006Z","traits":{"email":"a@b.c","plan":{"x":[1,{"y":null}]},"amount":12.50,"tags":["a",null],"nested":{"e":"a@b.c"}},"context":{"library":{"name":"sluice","version":"1.0.0"}},"messageId":"sluice-83e9d7e82a6ff5068484b266053fc325"}""")]
    [InlineData(2, "sluice-d6b800a287f270fa093dbd84dcffc20f",
        """{"type":"identify","userId":"2","traits":{"email":null,"plan":null,"amount":null,"tags":null,"nested":{"e":null}},"context":{"library":{"name":"sluice","version":"1.0.0"}},"messageId":"sluice-d6b800a287f270fa093dbd84dcffc20f"}""")]
    public void An_identify_event_is_the_same_bytes_with_the_same_message_id_as_before(int row, string messageId, string json)
    {
        var schema = new SourceSchema(
            "public.users",
            [
                new SourceColumn("id", "bigint", ColumnType.Integer, true),
                new SourceColumn("email", "text", ColumnType.Text, true),
                new SourceColumn("plan", "jsonb", ColumnType.Json, true),
                new SourceColumn("amount", "numeric", ColumnType.Decimal, true),
                new SourceColumn("tags", "text[]", ColumnType.Array, true),
                new SourceColumn("at", "timestamptz", ColumnType.TimestampWithTimeZone, true),
            ],
            ["id"]);
        var spec = new MappingSpec(
            [
                Leaf("user_id", "id"),
                Leaf("timestamp", "at"),
                new FieldSpec("traits", null, [Leaf("email", "email"), Leaf("plan", "plan"), Leaf("amount", "amount"), Leaf("tags", "tags"), new FieldSpec("nested", null, [Leaf("e", "email")], Location)], Location),
            ],
            Location);
        var mapping = CompiledMapping.Compile(spec, schema, _destination.Shape);
        object?[] values = row == 1
            ? [1L, new DateTime(2024, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc), "a@b.c", "{\"x\":[1,{\"y\":null}]}", 12.50m, new[] { "a", null }]
            : [2L, null, null, null, null, null];

        var encoded = _destination.Encode(new Change(row.ToString(System.Globalization.CultureInfo.InvariantCulture), ChangeOperation.Upsert, values, new Position()), mapping);

        Assert.Equal(messageId, encoded.MessageId);
        Assert.Equal(json, Encoding.UTF8.GetString(encoded.Payload.Span));
    }

    public ValueTask DisposeAsync() => _destination.DisposeAsync();

    private static FieldSpec Leaf(string target, string column) => new(target, column, null, Location);

    private sealed class Position : SourcePosition
    {
        public override Sluice.Core.Checkpoints.Checkpoint ToCheckpoint() => new("t", 1, "0");
    }
}
