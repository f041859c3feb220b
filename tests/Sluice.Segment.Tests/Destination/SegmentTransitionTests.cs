using System.Text;
using System.Text.Json;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Segment.Destination;

namespace Sluice.Segment.Tests.Destination;

/// <summary>Track on a transition (<c>transition:</c>) and deletes as a call (<c>on_delete:</c>), encoded without sending.</summary>
public sealed class SegmentTransitionTests : IAsyncDisposable
{
    private const string Upgraded = "call: track\nevent: Subscription Upgraded\ntransition: {column: status, from: [trial, free], to: paid}";
    private const string Mapping = "user_id: user_id\nproperties: {plan: plan, status: status}";
    private static readonly DateTimeOffset Stored = new(2024, 5, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly EncodingBed _bed = new();

    [Theory]
    [InlineData("trial", "paid", true)]
    [InlineData("free", "paid", true)]
    [InlineData("cancelled", "paid", false)]
    [InlineData("paid", "paid", false)]
    [InlineData("trial", "free", false)]
    [InlineData(null, "paid", false)]
    public void A_change_is_sent_only_when_the_column_moves_between_the_given_values(string? before, string now, bool sends)
    {
        var (destination, mapping) = _bed.Sync(Upgraded, Mapping);

        Assert.Equal(sends, destination.Sends(Upsert(mapping, before, now)));
    }

    [Fact]
    public void A_record_without_a_stored_value_makes_no_transition_even_without_from_or_to()
    {
        var (destination, mapping) = _bed.Sync("call: track\nevent: Status Changed\ntransition: {column: status}", Mapping);

        Assert.False(destination.Sends(Upsert(mapping, before: null, now: "paid", previous: false)));
        Assert.True(destination.Sends(Upsert(mapping, before: null, now: "paid")));
        Assert.True(destination.Sends(Upsert(mapping, before: "paid", now: null)));
    }

    [Fact]
    public void The_event_carries_the_value_the_column_moved_from_after_the_mapped_properties()
    {
        var (destination, mapping) = _bed.Sync(Upgraded, Mapping);

        using var json = Parse(destination.Encode(Upsert(mapping, "trial", "paid"), mapping));

        var properties = json.RootElement.GetProperty("properties");
        Assert.Equal(["plan", "status", "previous_status"], properties.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("paid", "trial"), (properties.GetProperty("status").GetString(), properties.GetProperty("previous_status").GetString()));
    }

    [Fact]
    public void The_previous_property_can_be_named_and_must_not_clash_with_a_mapped_one()
    {
        var (named, namedMapping) = _bed.Sync("call: track\nevent: Upgraded\ntransition: {column: status, to: paid, previous: old_status}", "user_id: user_id");
        using var json = Parse(named.Encode(Upsert(namedMapping, "trial", "paid"), namedMapping));
        Assert.Equal("trial", json.RootElement.GetProperty("properties").GetProperty("old_status").GetString());

        var (clash, clashMapping) = _bed.Sync(Upgraded, "user_id: user_id\nproperties: {previous_status: plan}");
        var error = Assert.Throws<ConfigException>(() => clash.Encode(Upsert(clashMapping, "trial", "paid"), clashMapping));
        Assert.Contains("previous: old_status", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_transition_twice_gets_two_message_ids_and_a_replay_of_one_the_same()
    {
        var (destination, mapping) = _bed.Sync(Upgraded, Mapping);

        var first = destination.Encode(Upsert(mapping, "trial", "paid", storedAt: Stored), mapping).MessageId;
        var replay = destination.Encode(Upsert(mapping, "trial", "paid", storedAt: Stored), mapping).MessageId;
        var again = destination.Encode(Upsert(mapping, "trial", "paid", storedAt: Stored.AddDays(1)), mapping).MessageId;

        Assert.Equal(first, replay);
        Assert.NotEqual(first, again);
    }

    [Fact]
    public void The_watched_column_is_read_watched_and_audited()
    {
        var (destination, mapping) = _bed.Sync(Upgraded, "user_id: user_id");

        Assert.Equal(["status"], destination.Shape.WatchedColumns.Select(c => c.Column));
        Assert.Equal("syncs.orders_to_segment.destination.transition", destination.Shape.WatchedColumns[0].Location.KeyPath);
        Assert.Contains("status", mapping.Columns);
        Assert.Contains(mapping.SentFields, f => f.Column == "status");
    }

    [Fact]
    public void A_delete_becomes_the_on_delete_track_event_with_its_fixed_properties_and_the_last_stored_value()
    {
        var (destination, mapping) = _bed.Sync(Upgraded + "\non_delete: {call: track, event: Account Deleted, properties: {deleted: true, reason: closed, seats: 0}}", Mapping);
        Assert.True(destination.AcceptsDeletes);

        var deleted = Deleted(mapping, ("user_id", "42"), previousStatus: "paid");
        Assert.True(destination.Sends(deleted));
        using var json = Parse(destination.Encode(deleted, mapping));

        var root = json.RootElement;
        Assert.Equal(("track", "42", "Account Deleted"), (root.GetProperty("type").GetString(), root.GetProperty("userId").GetString(), root.GetProperty("event").GetString()));
        var properties = root.GetProperty("properties");
        Assert.Equal(["deleted", "reason", "seats", "previous_status"], properties.EnumerateObject().Select(p => p.Name));
        Assert.True(properties.GetProperty("deleted").GetBoolean());
        Assert.Equal(0, properties.GetProperty("seats").GetInt32());
        Assert.Equal("paid", properties.GetProperty("previous_status").GetString());
        Assert.False(root.TryGetProperty("timestamp", out _));
    }

    [Fact]
    public void A_delete_becomes_an_identify_with_fixed_traits()
    {
        var (destination, mapping) = _bed.Sync("call: identify\non_delete: {call: identify, traits: {deleted: true}}", "user_id: user_id\ntraits: {plan: plan}");

        using var json = Parse(destination.Encode(Deleted(mapping, ("user_id", "42")), mapping));

        Assert.Equal("""{"deleted":true}""", json.RootElement.GetProperty("traits").GetRawText());
        Assert.Equal("identify", json.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public void A_delete_whose_identity_is_not_a_key_column_is_refused_for_the_record()
    {
        var (destination, mapping) = _bed.Sync("call: identify\non_delete: {call: identify, traits: {deleted: true}}", "user_id: user_id");

        var error = Assert.Throws<SluiceException>(() => destination.Encode(Deleted(mapping), mapping));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Contains("only its key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_on_delete_deletes_are_not_accepted()
    {
        var (destination, _) = _bed.Sync("call: identify", "user_id: user_id");

        Assert.False(destination.AcceptsDeletes);
    }

    [Theory]
    [InlineData("call: identify\ntransition: {column: status}", "'transition' fires a track event")]
    [InlineData("call: track\nevent: E\ntransition: {from: trial}", "missing required key 'column'")]
    [InlineData("call: track\nevent: E\ntransition: {column: status, from: paid, to: paid}", "never moves")]
    [InlineData("call: track\nevent: E\ntransition: {column: status, form: trial}", "form")]
    [InlineData("call: identify\non_delete: {event: Gone}", "missing required key 'call' in 'on_delete'")]
    [InlineData("call: identify\non_delete: {call: track}", "missing required key 'event'")]
    [InlineData("call: identify\non_delete: {call: track, event: \"{plan} Gone\"}", "has only its key")]
    [InlineData("call: identify\non_delete: {call: group}", "need 'group_id'")]
    [InlineData("call: identify\non_delete: {call: identify, properties: {deleted: true}}", "rename 'properties' to 'traits'")]
    [InlineData("call: identify\non_delete: {call: identify, traits: {deleted: {a: 1}}}", "single value")]
    public void Mistakes_in_transition_and_on_delete_are_config_errors_that_say_the_fix(string destination, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => SegmentDestinationOptions.Bind(EncodingBed.Load(destination, "user_id: user_id").Destination));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private static JsonDocument Parse(Sluice.Core.Connectors.EncodedRecord encoded) => JsonDocument.Parse(Encoding.UTF8.GetString(encoded.Payload.Span));

    private static Change Upsert(CompiledMapping mapping, string? before, string? now, bool previous = true, DateTimeOffset? storedAt = null)
    {
        var row = EncodingBed.Row();
        row["status"] = now;
        return new Change("1001", ChangeOperation.Upsert, mapping.Columns.Select(c => row[c]).ToArray(), new Position())
        {
            Kind = ChangeKinds.Changed,
            Watched = new Dictionary<string, string?> { ["status"] = now },
            Previous = previous ? new Dictionary<string, string?> { ["status"] = before } : null,
            StoredAt = storedAt ?? Stored,
        };
    }

    /// <summary>A deleted record as a diffing source hands it on: key columns set (as text), all else NULL.</summary>
    private static Change Deleted(CompiledMapping mapping, (string Column, string Value)? key = null, string? previousStatus = null)
    {
        var values = mapping.Columns.Select(c => key is { } k && k.Column == c ? (object?)k.Value : null).ToArray();
        return new Change("1001", ChangeOperation.Delete, values, new Position())
        {
            Kind = ChangeKinds.Deleted,
            Previous = previousStatus is null ? null : new Dictionary<string, string?> { ["status"] = previousStatus },
            StoredAt = Stored,
        };
    }

    private sealed class Position : SourcePosition
    {
        public override Checkpoint ToCheckpoint() => new("test", 1, "0");
    }
}
