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
    [InlineData("79228162514264337593543950335", "79228162514264337593543950335")]
    public void A_decimal_is_a_json_number_with_its_digits(string value, string expected) =>
        Assert.Equal(expected, Json(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture), ColumnType.Decimal));

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

    private static string Json(object? value, ColumnType type)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            JsonValueWriter.Write(writer, value, type);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

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
