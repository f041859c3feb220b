using System.Security.Cryptography;
using System.Text;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Segment.Destination;

namespace Sluice.Segment.Tests.Destination;

/// <summary>
/// The bytes and messageIds of track and group events, as released, and how the id is derived: SHA-256 over the sync
/// name, the record key and the event without its id. An upgrade that changed either would resend every record the
/// ledger already holds, or a batch in flight under new ids. Change these only on purpose.
/// </summary>
public sealed class SegmentEncodingStabilityTests : IAsyncDisposable
{
    private const string Mapping = """
        user_id: user_id
        anonymous_id: anon
        timestamp: updated_at
        properties:
          order_id: id
          total: total
          precise: precise
          details: details
          tags: tags
        context:
          ip: ip
        """;

    private const string GroupMapping = """
        group_id: account_id
        user_id: user_id
        traits:
          plan: plan
          total: total
        """;

    private readonly EncodingBed _bed = new();

    [Theory]
    [InlineData("call: track\nevent: \"Plan {plan} {status}\"", Mapping,
        "sluice-ea58ae85a1c1b070af84b2b4374baf97",
        """{"type":"track","userId":"42","anonymousId":"anon-7","event":"Plan pro paid","timestamp":"2024-03-05T06:07:08.123Z","properties":{"order_id":1001,"total":129.90,"precise":"1234567890.123456789","details":{"coupon":"SPRING","shipping":{"method":"ups","days":2},"items":[{"sku":"a"}]},"tags":["gift","priority"]},"context":{"ip":"203.0.113.9","library":{"name":"sluice","version":"1.0.0"}},"messageId":"sluice-ea58ae85a1c1b070af84b2b4374baf97"}""")]
    [InlineData("call: group", GroupMapping,
        "sluice-93e377ecf00560268798788d4b0ecf92",
        """{"type":"group","userId":"42","groupId":"acme","traits":{"plan":"pro","total":129.90},"context":{"library":{"name":"sluice","version":"1.0.0"}},"messageId":"sluice-93e377ecf00560268798788d4b0ecf92"}""")]
    public void An_event_is_the_same_bytes_with_the_same_message_id_as_before(string destination, string mapping, string messageId, string json)
    {
        var (segment, compiled) = _bed.Sync(destination, mapping);

        var (document, id, text) = EncodingBed.Encode(segment, compiled);
        document.Dispose();

        Assert.Equal(json, text);
        Assert.Equal(messageId, id);
    }

    [Theory]
    [InlineData("call: track\nevent: \"Plan {plan} {status}\"", Mapping)]
    [InlineData("call: group", GroupMapping)]
    [InlineData("call: identify", "user_id: user_id\ntraits:\n  plan: plan")]
    public void The_message_id_is_sha256_of_the_sync_the_key_and_the_event_without_its_id(string destination, string mapping)
    {
        var (segment, compiled) = _bed.Sync(destination, mapping, syncName: "orders_to_segment");

        var (document, id, text) = EncodingBed.Encode(segment, compiled);
        document.Dispose();

        var suffix = $",\"messageId\":\"{id}\"}}";
        Assert.EndsWith(suffix, text, StringComparison.Ordinal);
        var body = text[..^suffix.Length] + "}";
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("orders_to_segment\0" + "1001" + "\0" + body));
        Assert.Equal("sluice-" + Convert.ToHexStringLower(digest.AsSpan(0, 16)), id);
    }

    [Fact]
    public void Events_encoded_one_after_another_keep_their_own_bytes()
    {
        // Thousands of events share the encoder's buffers; each must keep exactly what a lone encoding of it gives.
        var (segment, compiled) = _bed.Sync("call: track\nevent: \"Plan {plan} {status}\"", Mapping);
        var encoded = new List<EncodedRecord>();
        for (var i = 0; i < 3_000; i++)
        {
            encoded.Add(segment.Encode(Row(i, compiled), compiled));
        }

        for (var i = 0; i < encoded.Count; i += 7)
        {
            var (alone, aloneMapping) = _bed.Sync("call: track\nevent: \"Plan {plan} {status}\"", Mapping);
            var expected = alone.Encode(Row(i, aloneMapping), aloneMapping);
            Assert.Equal(Encoding.UTF8.GetString(expected.Payload.Span), Encoding.UTF8.GetString(encoded[i].Payload.Span));
            Assert.Equal(expected.MessageId, encoded[i].MessageId);
        }

        Assert.Contains("\"userId\":\"2999\"", Encoding.UTF8.GetString(encoded[^1].Payload.Span), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7, "7")]
    [InlineData(-2147483648, "-2147483648")]
    [InlineData(long.MinValue, "-9223372036854775808")]
    [InlineData(long.MaxValue, "9223372036854775807")]
    [InlineData((short)12, "12")]
    public void An_integer_id_of_any_width_is_sent_as_its_digits(object userId, string expected)
    {
        var (segment, compiled) = _bed.Sync("call: identify", "user_id: user_id");
        var row = EncodingBed.Row();
        row["user_id"] = userId;

        var (document, _, _) = EncodingBed.Encode(segment, compiled, row);
        using (document)
        {
            Assert.Equal(expected, document.RootElement.GetProperty("userId").GetString());
        }
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("")]
    [InlineData("Zoë Ångström — 東京 😀")]
    [InlineData("quote \" backslash \\ slash / <b>&amp;</b> 'single' +plus")]
    [InlineData("controls \u0001\t\n\r\u001f and DEL \u007f")]
    [InlineData("line\u2028separator\u2029")]
    [InlineData(null)]
    public void Traits_are_the_bytes_the_general_value_writer_gives(string? text)
    {
        // The encoder writes text and integer traits itself; whatever the value, the bytes must be JsonValueWriter's.
        const string Traits = "traits:\n  plan: plan\n  status: status\n  total: total\n  precise: precise\n  details: details\n  tags: tags\n  order_id: id\n  ip: ip\n  at: updated_at";
        foreach (var types in new[] { "", "types:\n  nulls: omit\n  numeric: string\n", "types:\n  jsonb: flatten\n" })
        {
            var (segment, compiled) = _bed.Sync(types + "call: identify", "user_id: user_id\n" + Traits);
            var row = EncodingBed.Row();
            row["plan"] = text;
            row["status"] = text is null ? "x" : text + text;
            row["ip"] = text is null ? null : "1";
            row["id"] = long.MinValue;

            var (document, _, json) = EncodingBed.Encode(segment, compiled, row);
            document.Dispose();

            var options = SegmentDestinationOptions.Bind(EncodingBed.Load(types + "call: identify", "user_id: user_id\n" + Traits).Destination).Types;
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { SkipValidation = true }))
            {
                writer.WriteStartObject();
                foreach (var field in compiled["traits"]!.Children!)
                {
                    var value = row[field.Column!.Name];
                    Sluice.Core.Mapping.JsonValueWriter.WriteProperty(writer, System.Text.Json.JsonEncodedText.Encode(field.Target), value, field.Column.Type, options);
                }

                writer.WriteEndObject();
            }

            var expected = "\"traits\":" + Encoding.UTF8.GetString(buffer.WrittenSpan) + ",\"context\":";
            Assert.Contains(expected, json, StringComparison.Ordinal);
        }
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private static Change Row(int i, Sluice.Core.Mapping.CompiledMapping mapping)
    {
        var row = EncodingBed.Row();
        row["user_id"] = (long)i;
        row["id"] = 1_000_000L + i;
        row["plan"] = i % 3 == 0 ? "pro" : "free";
        row["details"] = i % 5 == 0 ? null : $"{{\"n\":{i}}}";
        row["anon"] = new string('a', i % 200);
        return new Change(i.ToString(System.Globalization.CultureInfo.InvariantCulture), ChangeOperation.Upsert,
            mapping.Columns.Select(c => row[c]).ToArray(), new Position());
    }

    private sealed class Position : SourcePosition
    {
        public override Sluice.Core.Checkpoints.Checkpoint ToCheckpoint() => new("t", 1, "0");
    }
}
