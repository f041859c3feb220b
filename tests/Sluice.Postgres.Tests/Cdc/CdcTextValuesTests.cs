using System.Text;
using System.Text.Json;
using Npgsql;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Postgres.Cdc;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Cdc;

/// <summary>A streamed value's text becomes what the driver reads for a copied row, so both encode to the same JSON.</summary>
public sealed class CdcTextValuesTests
{
    [Theory]
    [InlineData("int2", "-32768")]
    [InlineData("int4", "2147483647")]
    [InlineData("int8", "-9223372036854775808")]
    [InlineData("float4", "1.5")]
    [InlineData("float8", "0.1")]
    [InlineData("float8", "'NaN'")]
    [InlineData("float8", "'-Infinity'")]
    [InlineData("numeric", "12.50")]
    [InlineData("numeric", "-0.000000001")]
    [InlineData("bool", "true")]
    [InlineData("timestamptz", "'2026-11-21 08:38:00.573691+02'")]
    [InlineData("timestamptz", "'2026-11-21 08:38:00+00'")]
    [InlineData("timestamptz", "'infinity'")]
    [InlineData("timestamp", "'2026-11-21 08:38:00.5'")]
    [InlineData("date", "'2020-02-29'")]
    [InlineData("uuid", "'d1409c30-3835-4381-ad0d-bfcb891fd44f'")]
    [InlineData("jsonb", "'{\"a\": [1, \"x\"]}'")]
    [InlineData("text", "'caf\u00e9 \"quoted\"'")]
    [InlineData("int4[]", "'{1,2,3}'")]
    [InlineData("bool[]", "'{t,f}'")]
    [InlineData("bool", "false")]
    [InlineData("text[]", "'{\"a b\",\"c\\\"d\",NULL,\"NULL\",plain}'")]
    [InlineData("numeric[]", "'{1.10,2}'")]
    [InlineData("int4[]", "'{}'")]
    public async Task A_value_read_from_its_text_encodes_like_the_driver_reads_it(string type, string literal)
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("cdc_text_values");
        await using var connection = await db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var settings = new NpgsqlCommand("SET LOCAL DateStyle = 'ISO, MDY'; SET LOCAL TimeZone = 'UTC'", connection, transaction))
        {
            await settings.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand($"SELECT ({literal})::{type}, ({literal})::{type}::text, t.typname::text, t.typcategory, e.typname::text FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' WHERE t.oid = '{type}'::regtype", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var driver = reader.GetValue(0);
        var text = reader.GetString(1);
        var valueType = CdcValueType.From(reader.GetString(2), reader.GetChar(3), reader.IsDBNull(4) ? null : reader.GetString(4));

        var parsed = CdcTextValues.Parse(text, valueType, "c");

        Assert.IsNotType<UnreadableValue>(parsed);
        var columnType = type == "jsonb" ? ColumnType.Json : ColumnType.Other;
        Assert.Equal(Json(driver, columnType), Json(parsed, columnType));
    }

    [Theory]
    [InlineData("int4", "x1")]
    [InlineData("numeric", "NaN")]
    [InlineData("numeric", "1e400")]
    [InlineData("timestamptz", "2026-11-21 08:38:00 BC")]
    [InlineData("int4[]", "[0:1]={1,2}")]
    public void Text_that_does_not_parse_becomes_an_unreadable_value_naming_the_column(string type, string text)
    {
        var valueType = type.EndsWith("[]", StringComparison.Ordinal) ? CdcValueType.From("_int4", 'A', "int4") : CdcValueType.From(type, 'N', null);

        var parsed = Assert.IsType<UnreadableValue>(CdcTextValues.Parse(text, valueType, "seats"));

        Assert.Contains("'seats'", parsed.Reason, StringComparison.Ordinal);
    }

    private static string Json(object? value, ColumnType type)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            JsonValueWriter.Write(writer, value, type);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
