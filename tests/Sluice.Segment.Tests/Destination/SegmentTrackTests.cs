using System.Text.Json;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;

namespace Sluice.Segment.Tests.Destination;

/// <summary>Track calls (S2): a fixed or templated event name, properties and context from the row.</summary>
public sealed class SegmentTrackTests : IAsyncDisposable
{
    private const string Mapping = """
        user_id: user_id
        timestamp: updated_at
        properties:
          order_id: id
          total: total
          status: status
        """;

    private readonly EncodingBed _bed = new();

    [Fact]
    public void A_track_event_has_the_fixed_event_name_and_the_mapped_properties()
    {
        var (destination, mapping) = _bed.Sync("call: track\nevent: Order Completed", Mapping);

        using var json = EncodingBed.Encode(destination, mapping).Json;

        var root = json.RootElement;
        Assert.Equal("track", root.GetProperty("type").GetString());
        Assert.Equal("Order Completed", root.GetProperty("event").GetString());
        Assert.Equal("42", root.GetProperty("userId").GetString());
        Assert.Equal("2024-03-05T06:07:08.123Z", root.GetProperty("timestamp").GetString());
        var properties = root.GetProperty("properties");
        Assert.Equal(1001, properties.GetProperty("order_id").GetInt64());
        Assert.Equal(129.90m, properties.GetProperty("total").GetDecimal());
        Assert.Equal("paid", properties.GetProperty("status").GetString());
        Assert.Equal("sluice", root.GetProperty("context").GetProperty("library").GetProperty("name").GetString());
        Assert.Equal(["type", "userId", "event", "timestamp", "properties", "context", "messageId"], root.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void A_templated_event_name_takes_the_rows_values()
    {
        var (destination, mapping) = _bed.Sync("call: track\nevent: \"Plan {plan} {status}\"", Mapping);

        using var json = EncodingBed.Encode(destination, mapping).Json;

        Assert.Equal("Plan pro paid", json.RootElement.GetProperty("event").GetString());
    }

    [Fact]
    public void A_template_column_is_read_even_when_it_is_not_mapped()
    {
        var (_, mapping) = _bed.Sync("call: track\nevent: \"Plan {plan} Started\"", Mapping);

        Assert.Contains("plan", mapping.Columns);
        Assert.DoesNotContain(mapping.Fields, f => f.Target == "plan");
    }

    [Fact]
    public void Template_values_are_formatted_as_text_numbers_and_iso_timestamps()
    {
        var (destination, mapping) = _bed.Sync("call: track\nevent: \"{id} at {updated_at} for {total}\"", Mapping);

        using var json = EncodingBed.Encode(destination, mapping).Json;

        Assert.Equal("1001 at 2024-03-05T06:07:08.123Z for 129.90", json.RootElement.GetProperty("event").GetString());
    }

    [Fact]
    public void Doubled_braces_are_literal_braces_in_the_event_name()
    {
        var (destination, mapping) = _bed.Sync("call: track\nevent: \"{{beta}} {plan}\"", Mapping);

        using var json = EncodingBed.Encode(destination, mapping).Json;

        Assert.Equal("{beta} pro", json.RootElement.GetProperty("event").GetString());
    }

    [Fact]
    public void A_null_template_column_rejects_the_record_with_the_column_in_the_reason()
    {
        var (destination, mapping) = _bed.Sync("call: track\nevent: \"Plan {plan} Started\"", Mapping);
        var row = EncodingBed.Row();
        row["plan"] = null;

        var error = Assert.Throws<SluiceException>(() => EncodingBed.Encode(destination, mapping, row));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Contains("'Plan {plan} Started' needs column 'plan', which is NULL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_event_name_that_comes_out_empty_rejects_the_record()
    {
        var (destination, mapping) = _bed.Sync("call: track\nevent: \"{plan}\"", Mapping);
        var row = EncodingBed.Row();
        row["plan"] = "";

        var error = Assert.Throws<SluiceException>(() => EncodingBed.Encode(destination, mapping, row));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Contains("is empty for this record", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_event_name_is_part_of_the_message_id()
    {
        var (destination, mapping) = _bed.Sync("call: track\nevent: \"Plan {plan} Started\"", Mapping);
        var upgraded = EncodingBed.Row();
        upgraded["plan"] = "enterprise";

        Assert.NotEqual(EncodingBed.Encode(destination, mapping).MessageId, EncodingBed.Encode(destination, mapping, upgraded).MessageId);
        Assert.Equal(EncodingBed.Encode(destination, mapping).MessageId, EncodingBed.Encode(destination, mapping).MessageId);
    }

    [Fact]
    public void A_track_and_an_identify_of_the_same_row_get_different_message_ids()
    {
        var (track, trackMapping) = _bed.Sync("call: track\nevent: Order Completed", "user_id: user_id\nproperties:\n  total: total");
        var (identify, identifyMapping) = _bed.Sync("call: identify", "user_id: user_id\ntraits:\n  total: total");

        Assert.NotEqual(EncodingBed.Encode(track, trackMapping).MessageId, EncodingBed.Encode(identify, identifyMapping).MessageId);
    }

    [Fact]
    public void Mapped_context_fields_are_sent_beside_the_library()
    {
        var (destination, mapping) = _bed.Sync("call: track\nevent: Order Completed", Mapping + "\ncontext:\n  ip: ip");

        using var json = EncodingBed.Encode(destination, mapping).Json;

        var context = json.RootElement.GetProperty("context");
        Assert.Equal("203.0.113.9", context.GetProperty("ip").GetString());
        Assert.Equal("sluice", context.GetProperty("library").GetProperty("name").GetString());
    }

    [Fact]
    public void An_anonymous_id_alone_identifies_a_track()
    {
        var (destination, mapping) = _bed.Sync("call: track\nevent: Order Completed", "anonymous_id: anon\nproperties:\n  total: total");

        using var json = EncodingBed.Encode(destination, mapping).Json;

        Assert.Equal("anon-7", json.RootElement.GetProperty("anonymousId").GetString());
        Assert.False(json.RootElement.TryGetProperty("userId", out _));
    }

    [Fact]
    public void A_track_without_user_id_or_anonymous_id_in_the_row_is_rejected()
    {
        var (destination, mapping) = _bed.Sync("call: track\nevent: Order Completed", Mapping);
        var row = EncodingBed.Row();
        row["user_id"] = null;

        Assert.Equal(ErrorClass.RecordRejected, Assert.Throws<SluiceException>(() => EncodingBed.Encode(destination, mapping, row)).Class);
    }

    [Fact]
    public void A_track_mapping_without_user_id_or_anonymous_id_is_a_config_error()
    {
        var error = Assert.Throws<ConfigException>(() => _bed.Sync("call: track\nevent: Order Completed", "properties:\n  total: total"));

        Assert.Contains("Segment track needs one of 'user_id' or 'anonymous_id'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Traits_are_not_a_track_target()
    {
        var error = Assert.Throws<ConfigException>(() => _bed.Sync("call: track\nevent: Order Completed", "user_id: user_id\ntraits:\n  total: total"));

        Assert.Contains("'traits' is not something Segment track accepts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_event_name_is_a_config_error_naming_the_key_and_the_fix()
    {
        var error = Assert.Throws<ConfigException>(() => _bed.Sync("call: track", Mapping));

        Assert.StartsWith("sluice.yaml:", error.Message, StringComparison.Ordinal);
        Assert.Contains("syncs.orders_to_segment.destination", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing required key 'event'", error.Message, StringComparison.Ordinal);
        Assert.Contains("fix: name the event, e.g. 'event: Order Completed'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"Plan {plan\"", "opens a '{' that is never closed")]
    [InlineData("\"Plan } Started\"", "has a '}' without a '{'")]
    [InlineData("\"Plan {} Started\"", "has a placeholder without a column name")]
    [InlineData("\"  \"", "the event name is empty")]
    public void A_malformed_event_template_is_a_config_error_at_the_event_key(string yaml, string problem)
    {
        var error = Assert.Throws<ConfigException>(() => _bed.Sync($"call: track\nevent: {yaml}", Mapping));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Equal("syncs.orders_to_segment.destination.event", error.Location!.KeyPath);
    }

    [Fact]
    public void A_template_column_that_does_not_exist_is_a_config_error_with_a_suggestion()
    {
        var error = Assert.Throws<ConfigException>(() => _bed.Sync("call: track\nevent: \"Plan {plam} Started\"", Mapping));

        Assert.Contains("column 'plam' does not exist in public.orders", error.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'plan'?", error.Message, StringComparison.Ordinal);
        Assert.Equal("syncs.orders_to_segment.destination.event", error.Location!.KeyPath);
    }

    [Fact]
    public void An_event_name_on_an_identify_sync_is_a_config_error()
    {
        var error = Assert.Throws<ConfigException>(() => _bed.Sync("call: identify\nevent: Order Completed", "user_id: user_id"));

        Assert.Contains("'event' names a track event, but this sync makes identify calls", error.Message, StringComparison.Ordinal);
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();
}
