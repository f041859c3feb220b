using System.Globalization;
using System.Text.Json;

namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>
/// The SELECT list as the JSON shape of each record: its fields in query order, in describe casing, and each parent
/// relationship as a nested object with its own <c>attributes</c> (or null when the reference is empty), as the
/// REST API answers <c>SELECT Name, Account.Name, Account.Owner.Email FROM Contact</c>.
/// </summary>
internal sealed class SoqlProjection
{
    private readonly List<Entry> _entries = [];

    public static SoqlProjection Build(IEnumerable<SoqlBoundPath> paths)
    {
        var root = new SoqlProjection();
        foreach (var path in paths)
        {
            var node = root;
            foreach (var hop in path.Hops)
            {
                var existing = node._entries.OfType<Relationship>().FirstOrDefault(r => string.Equals(r.Hop.Name, hop.Name, StringComparison.OrdinalIgnoreCase));
                if (existing is null)
                {
                    existing = new Relationship(hop, new SoqlProjection());
                    node._entries.Add(existing);
                }

                node = existing.Child;
            }

            node._entries.Add(new Leaf(path.Leaf));
        }

        return root;
    }

    /// <summary>Writes <paramref name="row"/> as one element of <c>records</c>.</summary>
    public void Write(Utf8JsonWriter writer, ISoqlRow row, ISoqlOrg org, string apiVersion)
    {
        writer.WriteStartObject();
        WriteAttributes(writer, row.Table.Name, $"/services/data/v{apiVersion}/sobjects/{row.Table.Name}/{row.Id}");
        foreach (var entry in _entries)
        {
            switch (entry)
            {
                case Leaf leaf:
                    writer.WritePropertyName(leaf.Column.Name);
                    var column = ReferenceEquals(row.Table.FindField(leaf.Column.Name), leaf.Column) ? leaf.Column : row.Table.FindField(leaf.Column.Name);
                    WriteValue(writer, column is null ? null : row.Get(column));
                    break;
                case Relationship relationship:
                    writer.WritePropertyName(relationship.Hop.RelationshipName!);
                    if (row.Get(relationship.Hop) is string id && org.FindRow(id) is { } parent)
                    {
                        relationship.Child.Write(writer, parent, org, apiVersion);
                    }
                    else
                    {
                        writer.WriteNullValue();
                    }

                    break;
            }
        }

        writer.WriteEndObject();
    }

    public static void WriteAttributes(Utf8JsonWriter writer, string type, string? url)
    {
        writer.WriteStartObject("attributes");
        writer.WriteString("type", type);
        if (url is not null)
        {
            writer.WriteString("url", url);
        }

        writer.WriteEndObject();
    }

    /// <summary>A value as the REST API writes it: datetimes as <c>2024-05-20T20:49:32.000+0000</c>, dates as <c>2024-05-20</c>.</summary>
    public static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string text: writer.WriteStringValue(text); break;
            case bool flag: writer.WriteBooleanValue(flag); break;
            case decimal number: writer.WriteNumberValue(number); break;
            case double number: writer.WriteNumberValue(number); break;
            case int number: writer.WriteNumberValue(number); break;
            case long number: writer.WriteNumberValue(number); break;
            case DateOnly date: writer.WriteStringValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); break;
            case DateTimeOffset instant: writer.WriteStringValue(FormatDateTime(instant)); break;
            case DateTime time: writer.WriteStringValue(FormatDateTime(new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)))); break;
            case TimeOnly time: writer.WriteStringValue(time.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) + "Z"); break;
            default: writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }

    /// <summary>Text of a value in a CSV cell (Bulk query results): datetimes as <c>2024-05-20T20:49:32.000Z</c>.</summary>
    public static string FormatCsv(object? value) => value switch
    {
        null => "",
        string text => text,
        bool flag => flag ? "true" : "false",
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset instant => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        TimeOnly time => time.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) + "Z",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    public static string FormatDateTime(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture) + "+0000";

    private abstract record Entry;

    private sealed record Leaf(ISoqlColumn Column) : Entry;

    private sealed record Relationship(ISoqlColumn Hop, SoqlProjection Child) : Entry;
}
