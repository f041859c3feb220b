using System.Globalization;
using System.Text.Json;

namespace Sluice.Salesforce.Destination;

/// <summary>
/// A field's value as Salesforce takes it, after the describe-driven rules (<see cref="SalesforceFieldEncoder"/>): the
/// one form both the JSON of sObject Collections and the CSV of Bulk API 2.0 are written from, so the two paths can
/// never disagree about a value.
/// </summary>
internal readonly struct SalesforceValue
{
    // Bulk API 2.0: "#N/A" sets a field to null; an empty cell leaves the field as it is.
    public const string CsvNull = "#N/A";

    private readonly object? _value;

    private SalesforceValue(object? value) => _value = value;

    public static SalesforceValue Null => default;

    public static SalesforceValue From(bool value) => new(value);

    public static SalesforceValue From(long value) => new(value);

    public static SalesforceValue From(decimal value) => new(value);

    public static SalesforceValue From(string value) => new(value);

    public bool IsNull => _value is null;

    /// <summary>A number or boolean: in JSON, its <see cref="CsvText"/> as is (the same text <see cref="WriteJson"/> writes).</summary>
    public bool IsRaw => _value is bool or long or decimal;

    public void WriteJson(Utf8JsonWriter writer)
    {
        switch (_value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case decimal d:
                writer.WriteNumberValue(d);
                break;
            default:
                writer.WriteStringValue((string)_value);
                break;
        }
    }

    /// <summary>The value as a Bulk CSV cell's text, before CSV quoting.</summary>
    public string CsvText() => _value switch
    {
        null => CsvNull,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        _ => (string)_value,
    };
}
