using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Core.Tests.Mapping;

public sealed class JsonValueWriterTests
{
    [Fact]
    public void A_utc_timestamp_is_iso_8601_with_milliseconds_and_z() =>
        Assert.Equal("\"2024-03-05T06:07:08.123Z\"", Json(new DateTime(2024, 3, 5, 6, 7, 8, 123, 456, DateTimeKind.Utc), ColumnType.TimestampWithTimeZone));

    [Fact]
    public void A_timestamp_without_time_zone_is_taken_as_utc() =>
        Assert.Equal("\"2024-03-05T06:07:08.000Z\"", Json(new DateTime(2024, 3, 5, 6, 7, 8, DateTimeKind.Unspecified), ColumnType.Timestamp));

    [Fact]
    public void A_timestamp_with_an_offset_is_converted_to_utc() =>
        Assert.Equal("\"2024-03-05T04:07:08.900Z\"", Json(new DateTimeOffset(2024, 3, 5, 6, 7, 8, 900, TimeSpan.FromHours(2)), ColumnType.TimestampWithTimeZone));

    [Fact]
    public void A_timestamp_across_midnight_in_its_offset_moves_to_the_utc_date() =>
        Assert.Equal("\"2024-12-31T23:30:00.000Z\"", Json(new DateTimeOffset(2025, 1, 1, 1, 0, 0, TimeSpan.FromHours(1.5)), ColumnType.TimestampWithTimeZone));

    [Fact]
    public void A_local_timestamp_is_converted_to_utc()
    {
        var local = new DateTime(2024, 3, 5, 6, 7, 8, DateTimeKind.Local);
        var expected = local.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal($"\"{expected}\"", Json(local, ColumnType.Timestamp));
    }

    [Fact]
    public void A_date_is_year_month_day() =>
        Assert.Equal("\"2024-03-05\"", Json(new DateOnly(2024, 3, 5), ColumnType.Date));

    [Fact]
    public void A_time_of_day_keeps_its_fraction_only_when_it_has_one()
    {
        Assert.Equal("\"06:07:08\"", Json(new TimeOnly(6, 7, 8), ColumnType.Other));
        Assert.Equal("\"06:07:08.25\"", Json(new TimeOnly(6, 7, 8, 250), ColumnType.Other));
    }

    [Fact]
    public void Jsonb_text_is_embedded_as_json_not_quoted() =>
        Assert.Equal("{\"plan\":\"pro\",\"seats\":[1,2]}", Json("{\"plan\":\"pro\",\"seats\":[1,2]}", ColumnType.Json));

    [Fact]
    public void Text_that_looks_like_json_stays_a_string_unless_the_column_is_json() =>
        Assert.Equal("\"{\\u0022a\\u0022:1}\"", Json("{\"a\":1}", ColumnType.Text));

    [Fact]
    public void A_jsonb_value_stays_valid_json_inside_an_object()
    {
        var text = Object(w =>
        {
            w.WritePropertyName("settings");
            JsonValueWriter.Write(w, "[{\"a\":null}]", ColumnType.Json);
            w.WritePropertyName("n");
            JsonValueWriter.Write(w, 1, ColumnType.Integer);
        });

        using var document = JsonDocument.Parse(text);
        Assert.Equal(JsonValueKind.Array, document.RootElement.GetProperty("settings").ValueKind);
    }

    [Fact]
    public void Arrays_are_json_arrays_of_their_elements()
    {
        Assert.Equal("[1,2,3]", Json(new[] { 1, 2, 3 }, ColumnType.Array));
        Assert.Equal("[\"a\",null,\"b\"]", Json(new[] { "a", null, "b" }, ColumnType.Array));
        Assert.Equal("[\"2024-03-05\"]", Json(new List<DateOnly> { new(2024, 3, 5) }, ColumnType.Array));
        Assert.Equal("[[1,2],[3]]", Json(new[] { new long[] { 1, 2 }, [3] }, ColumnType.Array));
        Assert.Equal("[]", Json(Array.Empty<int>(), ColumnType.Array));
    }

    [Fact]
    public void An_array_of_jsonb_embeds_each_element() =>
        Assert.Equal("[{\"a\":1},[2]]", Json(new[] { "{\"a\":1}", "[2]" }, ColumnType.Json));

    [Fact]
    public void Bytes_are_base64_not_an_array_of_numbers() =>
        Assert.Equal("\"AQID\"", Json(new byte[] { 1, 2, 3 }, ColumnType.Other));

    [Theory]
    [InlineData("12.50", "12.50")]
    [InlineData("-0.001", "-0.001")]
    [InlineData("0", "0")]
    [InlineData("123456789012345", "123456789012345")]
    [InlineData("0.000000000000000000000000001", "0.000000000000000000000000001")]
    [InlineData("1000000000000000000000", "1000000000000000000000")]
    [InlineData("1.5000000000000000000", "1.5000000000000000000")]
    [InlineData("-99999999999999.9", "-99999999999999.9")]
    [InlineData("12345678901234.50", "12345678901234.50")]
    public void A_decimal_of_at_most_15_significant_digits_is_a_json_number_with_its_digits(string value, string expected) =>
        Assert.Equal(expected, Json(Decimal(value), ColumnType.Decimal));

    [Theory]
    [InlineData("1234567890123456")]
    [InlineData("79228162514264337593543950335")]
    [InlineData("0.1234567890123456")]
    [InlineData("-1234567890.123456789")]
    [InlineData("12345678901234.56")]
    public void A_decimal_that_a_double_would_round_is_a_string_with_all_its_digits(string value) =>
        Assert.Equal($"\"{value}\"", Json(Decimal(value), ColumnType.Decimal));

    [Fact]
    public void Every_decimal_sent_as_a_number_reads_back_exactly_as_a_double()
    {
        foreach (var text in new[] { "0.1", "129.99", "999999999999999", "0.000000000000001", "123456.789012345", "1e20" })
        {
            var value = decimal.Parse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
            var json = Json(value, ColumnType.Decimal);
            Assert.Equal(value, (decimal)JsonSerializer.Deserialize<double>(json));
        }
    }

    [Fact]
    public void Numeric_as_string_sends_every_decimal_as_a_string_and_leaves_other_numbers_alone()
    {
        var options = new JsonValueOptions { NumericAsString = true };

        Assert.Equal("\"12.50\"", Json(12.50m, ColumnType.Decimal, options));
        Assert.Equal("\"0\"", Json(0m, ColumnType.Decimal, options));
        Assert.Equal("42", Json(42L, ColumnType.Integer, options));
        Assert.Equal("1.5", Json(1.5, ColumnType.Float, options));
    }

    [Fact]
    public void The_numeric_rule_applies_to_the_elements_of_a_numeric_array() =>
        Assert.Equal("[1.5,\"1234567890123456.7\"]", Json(new[] { 1.5m, Decimal("1234567890123456.7") }, ColumnType.Array));

    [Fact]
    public void Integers_and_booleans_are_json_numbers_and_booleans()
    {
        Assert.Equal("9007199254740993", Json(9007199254740993L, ColumnType.Integer));
        Assert.Equal("-7", Json((short)-7, ColumnType.Integer));
        Assert.Equal("42", Json(42, ColumnType.Integer));
        Assert.Equal("true", Json(true, ColumnType.Boolean));
    }

    [Fact]
    public void A_finite_float_is_a_json_number()
    {
        Assert.Equal(1.5, JsonSerializer.Deserialize<double>(Json(1.5, ColumnType.Float)));
        Assert.Equal(0.25f, JsonSerializer.Deserialize<float>(Json(0.25f, ColumnType.Float)));
    }

    [Theory]
    [InlineData(double.NaN, "\"NaN\"")]
    [InlineData(double.PositiveInfinity, "\"Infinity\"")]
    [InlineData(double.NegativeInfinity, "\"-Infinity\"")]
    public void A_float_with_no_json_number_form_is_written_as_a_string(double value, string expected)
    {
        Assert.Equal(expected, Json(value, ColumnType.Float));
        Assert.Equal(expected, Json((float)value, ColumnType.Float));
    }

    [Fact]
    public void A_uuid_is_its_canonical_lowercase_string() =>
        Assert.Equal("\"0f8fad5b-d9cb-469f-a165-70867728950e\"", Json(Guid.Parse("0F8FAD5B-D9CB-469F-A165-70867728950E"), ColumnType.Uuid));

    [Fact]
    public void Sql_null_is_json_null()
    {
        Assert.Equal("null", Json(null, ColumnType.Text));
        Assert.Equal("null", Json(DBNull.Value, ColumnType.Json));
    }

    [Fact]
    public void An_unknown_type_is_written_as_its_invariant_text() =>
        Assert.Equal("\"1.02:03:04\"", Json(new TimeSpan(1, 2, 3, 4), ColumnType.Other));

    [Fact]
    public void A_property_with_the_default_options_is_its_name_and_value()
    {
        Assert.Equal("{\"plan\":{\"tier\":\"pro\"}}", Property("plan", "{\"tier\":\"pro\"}", ColumnType.Json, JsonValueOptions.Default));
        Assert.Equal("{\"email\":null}", Property("email", null, ColumnType.Text, JsonValueOptions.Default));
    }

    [Fact]
    public void A_null_property_is_left_out_when_nulls_are_omitted()
    {
        var omit = new JsonValueOptions { OmitNulls = true };

        Assert.Equal("{}", Property("email", null, ColumnType.Text, omit));
        Assert.Equal("{}", Property("email", DBNull.Value, ColumnType.Text, omit));
        Assert.Equal("{\"email\":\"a@b.c\"}", Property("email", "a@b.c", ColumnType.Text, omit));
    }

    [Fact]
    public void Omitting_nulls_keeps_the_nulls_inside_a_jsonb_document_and_an_array()
    {
        var omit = new JsonValueOptions { OmitNulls = true };

        Assert.Equal("{\"plan\":{\"a\":null}}", Property("plan", "{\"a\":null}", ColumnType.Json, omit));
        Assert.Equal("{\"tags\":[\"a\",null]}", Property("tags", new[] { "a", null }, ColumnType.Array, omit));
    }

    [Fact]
    public void A_flattened_jsonb_object_becomes_one_property_per_leaf()
    {
        var flatten = new JsonValueOptions { FlattenJsonb = true };

        Assert.Equal(
            "{\"plan_tier\":\"pro\",\"plan_limits_seats\":5,\"plan_limits_sso\":true,\"plan_addons\":[\"a\",{\"b\":1}],\"plan_note\":null}",
            Property("plan", "{\"tier\":\"pro\",\"limits\":{\"seats\":5,\"sso\":true},\"addons\":[\"a\",{\"b\":1}],\"note\":null}", ColumnType.Json, flatten));
    }

    [Fact]
    public void Flattening_joins_paths_with_the_configured_separator() =>
        Assert.Equal("{\"plan.limits.seats\":5}", Property("plan", "{\"limits\":{\"seats\":5}}", ColumnType.Json, new JsonValueOptions { FlattenJsonb = true, FlattenSeparator = "." }));

    [Fact]
    public void A_jsonb_array_or_scalar_keeps_its_name_when_flattened()
    {
        var flatten = new JsonValueOptions { FlattenJsonb = true };

        Assert.Equal("{\"seats\":[1,2]}", Property("seats", "[1,2]", ColumnType.Json, flatten));
        Assert.Equal("{\"tier\":\"pro\"}", Property("tier", "\"pro\"", ColumnType.Json, flatten));
    }

    [Fact]
    public void An_empty_jsonb_object_flattens_to_nothing() =>
        Assert.Equal("{}", Property("plan", "{\"limits\":{}}", ColumnType.Json, new JsonValueOptions { FlattenJsonb = true }));

    [Fact]
    public void Flattening_leaves_text_that_looks_like_json_alone() =>
        Assert.Equal("{\"note\":\"{\\u0022a\\u0022:1}\"}", Property("note", "{\"a\":1}", ColumnType.Text, new JsonValueOptions { FlattenJsonb = true }));

    [Fact]
    public void A_sql_null_jsonb_is_null_or_left_out_not_flattened()
    {
        Assert.Equal("{\"plan\":null}", Property("plan", null, ColumnType.Json, new JsonValueOptions { FlattenJsonb = true }));
        Assert.Equal("{}", Property("plan", null, ColumnType.Json, new JsonValueOptions { FlattenJsonb = true, OmitNulls = true }));
    }

    [Fact]
    public void Flattening_jsonb_that_is_not_json_rejects_the_record()
    {
        var error = Assert.Throws<Sluice.Core.Errors.SluiceException>(() => Property("plan", "{oops", ColumnType.Json, new JsonValueOptions { FlattenJsonb = true }));

        Assert.Equal(Sluice.Core.Errors.ErrorClass.RecordRejected, error.Class);
        Assert.Contains("'plan' holds jsonb that is not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_are_nested_jsonb_exact_numbers_and_nulls_sent()
    {
        var defaults = JsonValueOptions.Default;

        Assert.False(defaults.FlattenJsonb);
        Assert.Equal("_", defaults.FlattenSeparator);
        Assert.False(defaults.NumericAsString);
        Assert.False(defaults.OmitNulls);
    }

    private static decimal Decimal(string text) => decimal.Parse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);

    private static string Json(object? value, ColumnType type) => Json(value, type, null);

    private static string Json(object? value, ColumnType type, JsonValueOptions? options)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (options is null)
            {
                JsonValueWriter.Write(writer, value, type);
            }
            else
            {
                JsonValueWriter.Write(writer, value, type, options);
            }
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Property(string name, object? value, ColumnType type, JsonValueOptions options) =>
        Object(w => JsonValueWriter.WriteProperty(w, JsonEncodedText.Encode(name), value, type, options));

    private static string Object(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
