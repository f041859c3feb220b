using System.Text.Json;
using Sluice.Postgres.Destinations.Warehouse;

namespace Sluice.Postgres.Tests.Warehouse;

public sealed class WarehouseTypesTests
{
    [Theory]
    [InlineData("42", WarehouseType.BigInt, "42")]
    [InlineData("-9223372036854775808", WarehouseType.BigInt, "-9223372036854775808")]
    [InlineData("1.0", WarehouseType.BigInt, "1")]
    [InlineData("1e3", WarehouseType.BigInt, "1000")]
    [InlineData("1.5", WarehouseType.Numeric, "1.5")]
    [InlineData("0.1234567890123456789012345678901234567890", WarehouseType.Numeric, "0.1234567890123456789012345678901234567890")]
    [InlineData("12345678901234567890123", WarehouseType.Numeric, "12345678901234567890123")]
    [InlineData("2.5E-3", WarehouseType.Numeric, "2.5E-3")]
    [InlineData("1e99999", WarehouseType.Text, "1e99999")]
    [InlineData("0.99999999999999999999999999999", WarehouseType.Numeric, "0.99999999999999999999999999999")]
    [InlineData("1e-400", WarehouseType.Numeric, "1e-400")]
    [InlineData("1e400", WarehouseType.Numeric, "1e400")]
    [InlineData("1e1000", WarehouseType.Numeric, "1e1000")]
    [InlineData("1e1001", WarehouseType.Text, "1e1001")]
    [InlineData("1E-1001", WarehouseType.Text, "1E-1001")]
    [InlineData("-0", WarehouseType.BigInt, "0")]
    [InlineData("-0.0e5", WarehouseType.BigInt, "0")]
    [InlineData("1.5e3", WarehouseType.BigInt, "1500")]
    [InlineData("100e-2", WarehouseType.BigInt, "1")]
    [InlineData("9223372036854775807", WarehouseType.BigInt, "9223372036854775807")]
    [InlineData("9223372036854775808", WarehouseType.Numeric, "9223372036854775808")]
    [InlineData("-9223372036854775809", WarehouseType.Numeric, "-9223372036854775809")]
    [InlineData("123456789012345678901234567890", WarehouseType.Numeric, "123456789012345678901234567890")]
    [InlineData("true", WarehouseType.Boolean, "true")]
    [InlineData("false", WarehouseType.Boolean, "false")]
    [InlineData("\"hello\"", WarehouseType.Text, "hello")]
    [InlineData("\"\"", WarehouseType.Text, "")]
    [InlineData("\"42\"", WarehouseType.Text, "42")]
    [InlineData("\"2024-01-02T03:04:05Z\"", WarehouseType.TimestampTz, "2024-01-02T03:04:05Z")]
    [InlineData("\"2024-01-02T03:04:05.123456Z\"", WarehouseType.TimestampTz, "2024-01-02T03:04:05.123456Z")]
    [InlineData("\"2024-01-02T03:04:05.120+02:00\"", WarehouseType.TimestampTz, "2024-01-02T01:04:05.12Z")]
    [InlineData("\"2024-01-02 03:04:05-0530\"", WarehouseType.TimestampTz, "2024-01-02T08:34:05Z")]
    [InlineData("\"2024-01-02T03:04\"", WarehouseType.TimestampTz, "2024-01-02T03:04:00Z")]
    [InlineData("\"0001-01-01T00:00:00Z\"", WarehouseType.TimestampTz, "0001-01-01T00:00:00Z")]
    [InlineData("\"9999-12-31T23:59:59.999999999Z\"", WarehouseType.TimestampTz, "9999-12-31T23:59:59.9999999Z")]
    [InlineData("\"2024-01-02\"", WarehouseType.Text, "2024-01-02")]
    [InlineData("\"0000-01-01T00:00:00Z\"", WarehouseType.Text, "0000-01-01T00:00:00Z")]
    [InlineData("\"2023-02-29T00:00:00Z\"", WarehouseType.Text, "2023-02-29T00:00:00Z")]
    [InlineData("\"2024-01-01T24:00:00Z\"", WarehouseType.Text, "2024-01-01T24:00:00Z")]
    [InlineData("\"2024-01-01T00:00:00+15:00\"", WarehouseType.Text, "2024-01-01T00:00:00+15:00")]
    [InlineData("\"0001-01-01T00:00:00+01:00\"", WarehouseType.Text, "0001-01-01T00:00:00+01:00")]
    [InlineData("\"٢٠٢٤-01-01T00:00:00Z\"", WarehouseType.Text, "٢٠٢٤-01-01T00:00:00Z")]
    [InlineData("\"yesterday\"", WarehouseType.Text, "yesterday")]
    [InlineData("[1,\"two\",{\"three\":3}]", WarehouseType.Text, "[1,\"two\",{\"three\":3}]")]
    [InlineData("[ \"Größe\" ,  null ]", WarehouseType.Text, "[\"Größe\",null]")]
    public void Values_are_typed_like_segments_postgres_warehouse(string json, WarehouseType type, string value)
    {
        var cell = WarehouseTypes.Infer("c", Parse(json));
        Assert.NotNull(cell);
        Assert.Equal(type, cell.Type);
        Assert.Equal(value, cell.Value);
    }

    [Fact]
    public void Null_gives_no_column() => Assert.Null(WarehouseTypes.Infer("c", Parse("null")));

    [Fact]
    public void Raw_keeps_what_the_event_carried()
    {
        Assert.Equal("1.0", WarehouseTypes.Infer("c", Parse("1.0"))!.Raw);
        Assert.Equal("2024-01-02T03:04:05.120+02:00", WarehouseTypes.Infer("c", Parse("\"2024-01-02T03:04:05.120+02:00\""))!.Raw);
    }

    [Fact]
    public void A_nul_character_becomes_U_FFFD_and_the_cell_keeps_the_string_as_sent()
    {
        var cell = WarehouseTypes.Infer("c", Parse("\"a\\u0000b\""))!;
        Assert.Equal("a\uFFFDb", cell.Value);
        Assert.Equal("a\uFFFDb", cell.Raw);
        Assert.Equal("\"a\\u0000b\"", cell.AsSent);
    }

    [Fact]
    public void A_lone_surrogate_becomes_U_FFFD_instead_of_failing_and_the_cell_keeps_the_string_as_sent()
    {
        var cell = WarehouseTypes.Infer("c", Parse("\"x\\ud800y\\n\\ud83d\\ude00\""))!;
        Assert.Equal(WarehouseType.Text, cell.Type);
        Assert.Equal("x\uFFFDy\n\U0001F600", cell.Value);
        Assert.Equal("\"x\\ud800y\\n\\ud83d\\ude00\"", cell.AsSent);
        Assert.Null(WarehouseTypes.Infer("c", Parse("\"plain\""))!.AsSent);
    }

    [Theory]
    [InlineData(WarehouseType.Id, "varchar(1024)")]
    [InlineData(WarehouseType.Text, "text")]
    [InlineData(WarehouseType.BigInt, "bigint")]
    [InlineData(WarehouseType.Numeric, "numeric")]
    [InlineData(WarehouseType.Boolean, "boolean")]
    [InlineData(WarehouseType.TimestampTz, "timestamptz")]
    [InlineData(WarehouseType.Jsonb, "jsonb")]
    public void Types_map_to_segments_postgres_ddl(WarehouseType type, string postgres) =>
        Assert.Equal(postgres, WarehouseTypes.ToPostgres(type));

    [Theory]
    [InlineData("character varying", 1024, WarehouseType.Id)]
    [InlineData("character varying", 512, WarehouseType.Text)]
    [InlineData("text", null, WarehouseType.Text)]
    [InlineData("integer", null, WarehouseType.BigInt)]
    [InlineData("double precision", null, WarehouseType.Numeric)]
    [InlineData("timestamp with time zone", null, WarehouseType.TimestampTz)]
    public void Information_schema_types_are_read_back(string dataType, int? length, WarehouseType expected)
    {
        Assert.True(WarehouseTypes.TryFromPostgres(dataType, length, out var type));
        Assert.Equal(expected, type);
    }

    [Fact]
    public void An_unknown_postgres_type_is_reported() =>
        Assert.False(WarehouseTypes.TryFromPostgres("uuid", null, out _));

    internal static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
