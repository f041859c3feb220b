using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Emulators.Segment;
using Sluice.Segment.Destination;
using Sluice.Testing.Conformance;

namespace Sluice.Segment.Tests.Conformance;

/// <summary>
/// The Segment destination (identify) passes the destination conformance suite against the Segment emulator of this
/// case, which deduplicates on messageId as Segment does.
/// </summary>
public sealed class SegmentDestinationConformance : DestinationConformance
{
    private const string WriteKey = "conformance-key";
    private static readonly ConfigLocation Location = new("conformance.yaml", 1, 1, "syncs.users_to_segment.mapping");
    private SegmentEmulator _emulator = null!;

    protected override SourceSchema RecordSchema { get; } = new(
        "public.users",
        [
            new SourceColumn("id", "bigint", ColumnType.Integer, IsNullable: true),
            new SourceColumn("anon", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("email", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("updated_at", "timestamptz", ColumnType.TimestampWithTimeZone, IsNullable: true),
        ],
        ["id"]);

    /// <summary><c>user_id: id, anonymous_id: anon, timestamp: updated_at, traits: {email}</c>.</summary>
    protected override MappingSpec Mapping { get; } = new(
        [
            new FieldSpec("user_id", "id", null, Location),
            new FieldSpec("anonymous_id", "anon", null, Location),
            new FieldSpec("timestamp", "updated_at", null, Location),
            new FieldSpec("traits", null, [new FieldSpec("email", "email", null, Location)], Location),
        ],
        Location);

    protected override async Task SetUpAsync() =>
        _emulator = await SegmentEmulator.StartAsync(new SegmentEmulatorOptions { Port = 0, WriteKeys = [WriteKey] });

    protected override async Task TearDownAsync() => await _emulator.DisposeAsync();

    protected override IDestination CreateDestination() => Destination(WriteKey);

    // A write key Segment does not know.
    protected override IDestination CreateMisconfiguredDestination() => Destination("not-the-key");

    protected override (string Key, IReadOnlyDictionary<string, object?> Values) Record(int i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), Values(i, i));

    // An identify needs a user id or an anonymous id.
    protected override IReadOnlyDictionary<string, object?>? Unacceptable(int i) => Values(i, null);

    protected override Task<long> CountHeldAsync() => Task.FromResult((long)_emulator.Messages().Count);

    private static Dictionary<string, object?> Values(int i, long? userId) => new()
    {
        ["id"] = userId,
        ["anon"] = null,
        ["email"] = $"user{i}@example.com",
        ["updated_at"] = new DateTime(2024, 3, 5, 6, 7, 8, DateTimeKind.Utc).AddSeconds(i),
    };

    private SegmentDestination Destination(string writeKey) => new(
        "users_to_segment",
        new SegmentConnectionOptions { Name = "segment", WriteKey = new Secret(writeKey), Endpoint = _emulator.BaseUrl },
        new SegmentDestinationOptions(),
        TimeProvider.System);
}
