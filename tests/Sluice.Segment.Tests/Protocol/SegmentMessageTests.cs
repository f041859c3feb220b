using System.Text;
using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Segment.Protocol;

namespace Sluice.Segment.Tests.Protocol;

/// <summary>The one reading of a Segment call that the warehouse, the events table and the dry run share.</summary>
public sealed class SegmentMessageTests
{
    [Theory]
    [InlineData("identify", SegmentEventType.Identify, "traits")]
    [InlineData("track", SegmentEventType.Track, "properties")]
    [InlineData("page", SegmentEventType.Page, "properties")]
    [InlineData("screen", SegmentEventType.Screen, "properties")]
    [InlineData("group", SegmentEventType.Group, "traits")]
    [InlineData("alias", SegmentEventType.Alias, null)]
    public void Each_call_type_is_read_with_its_payload_object(string type, SegmentEventType kind, string? payload)
    {
        var message = Read($$"""
            {"type":"{{type}}","messageId":"m1","userId":"u1","anonymousId":"a1","event":"Order Completed","name":"Home",
             "groupId":"g1","previousId":"p1","properties":{"total":5},"traits":{"plan":"pro"},"context":{"ip":"10.0.0.1"},
             "timestamp":"2024-05-01T12:00:00.000Z","originalTimestamp":"2024-05-01T11:59:59.000Z","sentAt":"2024-05-01T12:00:01.000Z",
             "receivedAt":"2024-05-01T12:00:02.000Z"}
            """);

        Assert.Equal(kind, message.Kind);
        Assert.Equal(type, message.TypeText);
        Assert.Equal("m1", message.MessageId);
        Assert.Equal("u1", message.UserId);
        Assert.Equal("a1", message.AnonymousId);
        Assert.Equal("g1", message.GroupId);
        Assert.Equal("p1", message.PreviousId);
        Assert.Equal("Order Completed", message.Event);
        Assert.Equal("Home", message.NameField.GetString());
        Assert.Equal("10.0.0.1", message.Context.GetProperty("ip").GetString());
        Assert.Equal(payload, message.PayloadName);
        if (payload is null)
        {
            Assert.Equal(JsonValueKind.Undefined, message.Payload.ValueKind);
        }
        else
        {
            Assert.Equal(payload == "traits" ? "{\"plan\":\"pro\"}" : "{\"total\":5}", message.Payload.GetRawText());
        }

        Assert.True(SegmentMessage.TryGetTime(message.Timestamp, out var timestamp));
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero), timestamp);
        Assert.True(SegmentMessage.TryGetTime(message.OriginalTimestamp, out var original));
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 11, 59, 59, TimeSpan.Zero), original);
        Assert.Equal("2024-05-01T12:00:01.000Z", message.SentAt.GetString());
        Assert.Equal("2024-05-01T12:00:02.000Z", message.ReceivedAt.GetString());
        Assert.Null(message.Check());
    }

    [Fact]
    public void Numeric_ids_are_read_as_written_and_blank_ones_as_none()
    {
        var message = Read("""{"type":"identify","messageId":12.50,"userId":"  ","anonymousId":42,"groupId":null,"previousId":{"a":1}}""");

        Assert.Equal("12.50", message.MessageId);
        Assert.Null(message.UserId);
        Assert.Equal("42", message.AnonymousId);
        Assert.Equal("42", message.Identity);
        Assert.Null(message.GroupId);
        Assert.Null(message.PreviousId);
    }

    [Fact]
    public void The_identity_is_the_user_id_before_the_anonymous_id()
    {
        Assert.Equal("u", Read("""{"type":"track","anonymousId":"a","userId":"u"}""").Identity);
        Assert.Null(Read("""{"type":"track"}""").Identity);
    }

    [Fact]
    public void Absent_fields_are_undefined_elements_and_a_repeated_member_reads_its_last_value()
    {
        var message = Read("""{"type":"track","event":"First","event":"Second"}""");

        Assert.Equal("Second", message.Event);
        Assert.Equal(JsonValueKind.Undefined, message.Properties.ValueKind);
        Assert.Equal(JsonValueKind.Undefined, message.Context.ValueKind);
        Assert.Null(message.MessageId);
        Assert.True(SegmentMessage.TryGetTime(message.Timestamp, out var none));
        Assert.Null(none);
    }

    [Fact]
    public void Escaped_member_names_and_type_case_are_read_as_Segment_reads_them()
    {
        var message = Read("""{"\u0074ype":"TRACK","\u0065vent":"Signed Up"}""");

        Assert.Equal(SegmentEventType.Track, message.Kind);
        Assert.Equal("TRACK", message.TypeText);
        Assert.Equal("Signed Up", message.Event);
    }

    [Fact]
    public void A_call_of_no_known_type_carries_properties_else_traits()
    {
        Assert.Equal("traits", Read("""{"type":"custom","traits":{}}""").PayloadName);
        Assert.Equal("properties", Read("""{"type":"custom","traits":{},"properties":{}}""").PayloadName);
        Assert.Equal("properties", Read("""{"type":"custom"}""").PayloadName);
        Assert.Null(Read("""{"type":"custom"}""").Kind);
    }

    [Fact]
    public void A_time_that_is_not_a_date_time_is_refused_and_a_non_string_is_none()
    {
        var message = Read("""{"type":"track","timestamp":"yesterday","sentAt":12345,"originalTimestamp":"2024-05-01T14:00:00+02:00"}""");

        Assert.False(SegmentMessage.TryGetTime(message.Timestamp, out _));
        Assert.True(SegmentMessage.TryGetTime(message.SentAt, out var sentAt));
        Assert.Null(sentAt);
        Assert.True(SegmentMessage.TryGetTime(message.OriginalTimestamp, out var original));
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero), original);
    }

    [Theory]
    [InlineData("[1,2]", "Array")]
    [InlineData("\"track\"", "String")]
    [InlineData("null", "Null")]
    public void Json_that_is_not_an_object_is_refused_with_the_reason(string json, string kind)
    {
        using var document = JsonDocument.Parse(json);

        Assert.False(SegmentMessage.TryRead(document.RootElement, out _, out var rejection));
        Assert.Equal(SegmentMessageProblem.NotAnObject, rejection!.Problem);
        Assert.Equal($"a Segment event is a JSON object, not {kind}", rejection.Reason);
        var error = Assert.Throws<SluiceException>(() => SegmentMessage.Read(document.RootElement));
        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Equal(rejection.Reason, error.Message);
    }

    [Theory]
    [InlineData("""{"messageId":"m"}""", SegmentMessageProblem.NoType, "the event has no type")]
    [InlineData("""{"type":" ","messageId":"m"}""", SegmentMessageProblem.NoType, "the event has no type")]
    [InlineData("""{"type":"track"}""", SegmentMessageProblem.NoMessageId, "the track event has no messageId")]
    [InlineData("""{"type":"track","messageId":""}""", SegmentMessageProblem.NoMessageId, "the track event has no messageId")]
    [InlineData("""{"type":"purchase","messageId":"m"}""", SegmentMessageProblem.UnknownType,
        "unknown event type 'purchase'; expected identify, track, page, screen, group or alias")]
    [InlineData("""{"type":7,"messageId":"m"}""", SegmentMessageProblem.UnknownType,
        "unknown event type '7'; expected identify, track, page, screen, group or alias")]
    [InlineData("""{"type":"track","messageId":"m"}""", SegmentMessageProblem.TrackWithoutEvent, "the track event m has no event name")]
    [InlineData("""{"type":"track","messageId":"m","event":null}""", SegmentMessageProblem.TrackWithoutEvent, "the track event m has no event name")]
    [InlineData("""{"type":"group","messageId":"m","userId":"u"}""", SegmentMessageProblem.GroupWithoutGroupId, "the group event m has no groupId")]
    public void An_incomplete_call_is_named_by_its_first_problem(string json, SegmentMessageProblem problem, string reason)
    {
        var rejection = Read(json).Check();

        Assert.NotNull(rejection);
        Assert.Equal(problem, rejection.Problem);
        Assert.Equal(reason, rejection.Reason);
        Assert.Equal(reason + ", so it has no table", rejection.ToException(", so it has no table").Message);
    }

    [Theory]
    [InlineData("""{"type":"alias","messageId":"m","previousId":"p","userId":"u"}""")]
    [InlineData("""{"type":"page","messageId":7}""")]
    [InlineData("""{"type":"group","messageId":"m","groupId":42}""")]
    public void A_complete_call_has_no_problem(string json) => Assert.Null(Read(json).Check());

    [Fact]
    public void A_string_that_is_not_text_holds_a_value_but_reads_as_no_id()
    {
        var message = Read("""{"type":"identify","messageId":"\udc00","userId":"\ud800"}""");

        Assert.True(SegmentMessage.Holds(message.MessageIdField));
        Assert.Null(message.UserId);
        Assert.Null(message.Check());
    }

    [Theory]
    [InlineData("""{"type":"track","event":"Order Completed","properties":{}}""", "track \"Order Completed\"")]
    [InlineData("""{"type":"identify","traits":{"event":"x"}}""", "identify")]
    [InlineData("""{"type":"track"}""", "track")]
    [InlineData("""{"event":"Orphan"}""", null)]
    [InlineData("""[1]""", null)]
    [InlineData("""not json""", null)]
    public void A_plan_labels_a_call_as_the_Spec_names_it(string json, string? label) =>
        Assert.Equal(label, SegmentMessage.LabelOf(Encoding.UTF8.GetBytes(json)));

    private static SegmentMessage Read(string json) => SegmentMessage.Read(JsonDocument.Parse(json).RootElement);
}
