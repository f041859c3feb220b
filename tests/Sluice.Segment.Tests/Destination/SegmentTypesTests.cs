using System.Text.Json;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;

namespace Sluice.Segment.Tests.Destination;

/// <summary>The destination's <c>types:</c> options, seen in the encoded events.</summary>
public sealed class SegmentTypesTests : IAsyncDisposable
{
    private const string Mapping = """
        user_id: user_id
        properties:
          total: total
          precise: precise
          details: details
          tags: tags
          note: anon
        """;

    private readonly EncodingBed _bed = new();

    [Fact]
    public void By_default_jsonb_is_nested_arrays_are_arrays_and_exact_numerics_are_numbers()
    {
        var properties = Properties("");

        Assert.Equal("ups", properties.GetProperty("details").GetProperty("shipping").GetProperty("method").GetString());
        Assert.Equal(["gift", "priority"], properties.GetProperty("tags").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Number, properties.GetProperty("total").ValueKind);
        Assert.Equal("129.90", properties.GetProperty("total").GetRawText());
    }

    [Fact]
    public void By_default_a_numeric_with_more_than_15_significant_digits_is_a_string_with_all_of_them()
    {
        var properties = Properties("");

        Assert.Equal(JsonValueKind.String, properties.GetProperty("precise").ValueKind);
        Assert.Equal("1234567890.123456789", properties.GetProperty("precise").GetString());
    }

    [Fact]
    public void Numeric_string_sends_every_numeric_as_a_string()
    {
        var properties = Properties("numeric: string");

        Assert.Equal("129.90", properties.GetProperty("total").GetString());
        Assert.Equal("1234567890.123456789", properties.GetProperty("precise").GetString());
    }

    [Fact]
    public void Jsonb_flatten_makes_one_property_per_leaf_joined_with_underscores()
    {
        var properties = Properties("jsonb: flatten");

        Assert.False(properties.TryGetProperty("details", out _));
        Assert.Equal("SPRING", properties.GetProperty("details_coupon").GetString());
        Assert.Equal("ups", properties.GetProperty("details_shipping_method").GetString());
        Assert.Equal(2, properties.GetProperty("details_shipping_days").GetInt32());
        Assert.Equal("a", properties.GetProperty("details_items")[0].GetProperty("sku").GetString());
    }

    [Fact]
    public void Jsonb_flatten_uses_the_configured_separator()
    {
        var properties = Properties("jsonb: flatten\nseparator: \".\"");

        Assert.Equal("ups", properties.GetProperty("details.shipping.method").GetString());
    }

    [Fact]
    public void Nulls_send_writes_null_and_nulls_omit_drops_the_key()
    {
        var row = EncodingBed.Row();
        row["anon"] = null;
        row["details"] = null;

        var sent = Properties("nulls: send", row);
        var omitted = Properties("nulls: omit", row);

        Assert.Equal(JsonValueKind.Null, sent.GetProperty("note").ValueKind);
        Assert.Equal(JsonValueKind.Null, sent.GetProperty("details").ValueKind);
        Assert.False(omitted.TryGetProperty("note", out _));
        Assert.False(omitted.TryGetProperty("details", out _));
        Assert.Equal(JsonValueKind.Number, omitted.GetProperty("total").ValueKind);
    }

    [Fact]
    public void Types_apply_to_identify_traits_too()
    {
        var (destination, mapping) = _bed.Sync("call: identify\ntypes:\n  jsonb: flatten\n  nulls: omit", "user_id: user_id\ntraits:\n  details: details\n  anon: anon");
        var row = EncodingBed.Row();
        row["anon"] = null;

        using var json = EncodingBed.Encode(destination, mapping, row).Json;

        var traits = json.RootElement.GetProperty("traits");
        Assert.Equal("SPRING", traits.GetProperty("details_coupon").GetString());
        Assert.False(traits.TryGetProperty("anon", out _));
    }

    [Fact]
    public void Changing_a_types_option_changes_the_payload_and_so_the_message_id()
    {
        var (nested, nestedMapping) = _bed.Sync("call: track\nevent: Order Completed", Mapping);
        var (flat, flatMapping) = _bed.Sync("call: track\nevent: Order Completed\ntypes:\n  jsonb: flatten", Mapping);

        Assert.NotEqual(EncodingBed.Encode(nested, nestedMapping).MessageId, EncodingBed.Encode(flat, flatMapping).MessageId);
    }

    [Fact]
    public void Jsonb_that_is_not_json_rejects_the_record_when_it_must_be_flattened()
    {
        var row = EncodingBed.Row();
        row["details"] = "{not json";

        var error = Assert.Throws<SluiceException>(() => Properties("jsonb: flatten", row));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Contains("'details' holds jsonb that is not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("jsonb: flat", "'jsonb' must be one of: nested, flatten; not 'flat'")]
    [InlineData("numeric: text", "'numeric' must be one of: number, string; not 'text'")]
    [InlineData("nulls: skip", "'nulls' must be one of: send, omit; not 'skip'")]
    [InlineData("separator: \".\"", "'separator' joins the keys of flattened jsonb, but jsonb is not flattened")]
    [InlineData("jsonb: flatten\nseparator: \"\"", "'separator' is empty")]
    [InlineData("nuls: omit", "unknown key 'nuls'")]
    public void A_wrong_types_option_is_a_config_error(string types, string problem)
    {
        var error = Assert.Throws<ConfigException>(() => Properties(types));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("syncs.orders_to_segment.destination.types", error.Location!.KeyPath, StringComparison.Ordinal);
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private JsonElement Properties(string types, Dictionary<string, object?>? row = null)
    {
        var typesYaml = types.Length == 0 ? "" : "\ntypes:\n" + string.Join('\n', types.Split('\n').Select(l => "  " + l));
        var (destination, mapping) = _bed.Sync("call: track\nevent: Order Completed" + typesYaml, Mapping);
        using var json = EncodingBed.Encode(destination, mapping, row).Json;
        return json.RootElement.GetProperty("properties").Clone();
    }
}
