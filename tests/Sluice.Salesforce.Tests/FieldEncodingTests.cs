using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Sluice.Salesforce.Describe;
using Sluice.Salesforce.Destination;

namespace Sluice.Salesforce.Tests;

public sealed class FieldEncodingTests
{
    private static FieldDescription Field(string name, string type, int length = 0, int precision = 0, int scale = 0, bool restricted = false, params string[] picklist) =>
        new(name, type, length, precision, scale, true, true, true, false, false, restricted, picklist, [], null);

    private static string Encode(FieldDescription field, object? value, SalesforceFieldOptions? options = null, ColumnType type = ColumnType.Other)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            SalesforceFieldEncoder.Write(writer, field, options, value, type);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Refusal(FieldDescription field, object? value, SalesforceFieldOptions? options = null)
    {
        var e = Assert.Throws<SluiceException>(() => Encode(field, value, options));
        Assert.Equal(ErrorClass.RecordRejected, e.Class);
        return e.Message;
    }

    [Fact]
    public void Datetimes_are_sent_in_UTC_with_milliseconds()
    {
        var value = new DateTimeOffset(2024, 5, 1, 14, 30, 0, TimeSpan.FromHours(2));
        Assert.Equal("""{"Last_Seen__c":"2024-05-01T12:30:00.000Z"}""", Encode(Field("Last_Seen__c", "datetime"), value));
    }

    [Fact]
    public void Dates_are_sent_as_days()
    {
        Assert.Equal("""{"CloseDate":"2024-12-31"}""", Encode(Field("CloseDate", "date"), new DateOnly(2024, 12, 31)));
    }

    [Fact]
    public void Dates_are_written_as_the_format_string_writes_them_for_every_year()
    {
        foreach (var date in new[] { DateOnly.MinValue, new DateOnly(999, 1, 9), new DateOnly(2024, 2, 29), new DateOnly(2025, 10, 31), DateOnly.MaxValue })
        {
            Assert.Equal(date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), SalesforceFieldEncoder.IsoDate(date));
        }
    }

    [Fact]
    public void Currency_within_its_scale_is_sent_as_a_number()
    {
        Assert.Equal("""{"Amount":125000.50}""", Encode(Field("Amount", "currency", precision: 18, scale: 2), 125000.50m));
    }

    [Fact]
    public void Currency_that_would_lose_precision_is_refused_with_the_reason()
    {
        var reason = Refusal(Field("Amount", "currency", precision: 18, scale: 2), 10.125m);
        Assert.Contains("Amount keeps 2 decimal places", reason);
    }

    [Fact]
    public void A_number_with_too_many_digits_is_refused()
    {
        var reason = Refusal(Field("Probability", "percent", precision: 3, scale: 0), 1000m);
        Assert.Contains("at most 3 digits", reason);
    }

    [Fact]
    public void Text_longer_than_the_field_is_refused_as_STRING_TOO_LONG()
    {
        var reason = Refusal(Field("Name", "string", length: 5), "abcdefgh");
        Assert.StartsWith("STRING_TOO_LONG", reason);
        Assert.Contains("truncate: true", reason);
    }

    [Fact]
    public void Text_longer_than_the_field_is_cut_only_when_truncate_is_set()
    {
        Assert.Equal("""{"Name":"abcde"}""", Encode(Field("Name", "string", length: 5), "abcdefgh", new SalesforceFieldOptions { Truncate = true }));
    }

    [Fact]
    public void Picklist_values_are_mapped_and_checked_against_a_restricted_picklist()
    {
        var field = Field("Type", "picklist", restricted: true, picklist: ["Trial", "Customer"]);
        var options = new SalesforceFieldOptions { Values = new Dictionary<string, string> { ["trial"] = "Trial", ["paid"] = "Customer" } };
        Assert.Equal("""{"Type":"Customer"}""", Encode(field, "paid", options));
        var reason = Refusal(field, "churned", options);
        Assert.StartsWith("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", reason);
        Assert.Contains("'churned'", reason);
    }

    [Fact]
    public void An_unrestricted_picklist_takes_any_value()
    {
        Assert.Equal("""{"Type":"Other"}""", Encode(Field("Type", "picklist", picklist: ["Trial"]), "Other"));
    }

    [Fact]
    public void A_multi_select_picklist_is_joined_from_an_array()
    {
        Assert.Equal("""{"Features__c":"sso;api"}""", Encode(Field("Features__c", "multipicklist", length: 4099), new[] { "sso", "api" }));
    }

    [Fact]
    public void Jsonb_is_sent_as_its_JSON_text()
    {
        Assert.Equal("""{"Settings__c":"{\u0022a\u0022: 1}"}""", Encode(Field("Settings__c", "textarea", length: 32768), """{"a": 1}""", type: ColumnType.Json));
    }

    [Fact]
    public void A_null_checkbox_is_false_and_other_nulls_are_null()
    {
        Assert.Equal("""{"Active__c":false}""", Encode(Field("Active__c", "boolean"), null));
        Assert.Equal("""{"Phone":null}""", Encode(Field("Phone", "phone", length: 40), null));
    }

    [Fact]
    public void A_fraction_for_a_whole_number_field_is_refused()
    {
        Assert.Contains("whole numbers", Refusal(Field("NumberOfEmployees", "int"), 12.5m));
        Assert.Equal("""{"NumberOfEmployees":12}""", Encode(Field("NumberOfEmployees", "int"), 12L));
    }
}
