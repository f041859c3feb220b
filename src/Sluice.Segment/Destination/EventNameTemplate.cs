using System.Globalization;
using System.Text;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Segment.Destination;

/// <summary>
/// A track call's <c>event:</c>: a fixed name (<c>Order Completed</c>) or a template whose <c>{column}</c>
/// placeholders take the record's values (<c>Plan {plan} Started</c>). <c>{{</c> and <c>}}</c> are literal braces.
/// </summary>
internal sealed class EventNameTemplate
{
    private readonly IReadOnlyList<(string Text, bool IsColumn)> _parts;

    private EventNameTemplate(string text, IReadOnlyList<(string Text, bool IsColumn)> parts)
    {
        Text = text;
        _parts = parts;
        Columns = parts.Where(p => p.IsColumn).Select(p => p.Text).Distinct(StringComparer.Ordinal).ToList();
        FixedName = Columns.Count == 0 ? string.Concat(parts.Select(p => p.Text)) : null;
    }

    /// <summary>As written in the config.</summary>
    public string Text { get; }

    /// <summary>The columns the placeholders name, each once, in order of appearance.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The event name when the template has no placeholders; null otherwise.</summary>
    public string? FixedName { get; }

    /// <summary>Reads <paramref name="text"/>; a malformed template is a <see cref="ConfigException"/> at <paramref name="location"/>.</summary>
    public static EventNameTemplate Parse(string text, ConfigLocation? location)
    {
        const string Fix = "name columns in braces, e.g. 'Plan {plan} Started'; write '{{' or '}}' for a literal brace";
        var parts = new List<(string, bool)>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if ((c == '{' || c == '}') && i + 1 < text.Length && text[i + 1] == c)
            {
                literal.Append(c);
                i++;
                continue;
            }

            if (c == '}')
            {
                throw new ConfigException(location, $"event name '{text}' has a '}}' without a '{{' before it", Fix);
            }

            if (c != '{')
            {
                literal.Append(c);
                continue;
            }

            var close = text.IndexOf('}', i + 1);
            if (close < 0)
            {
                throw new ConfigException(location, $"event name '{text}' opens a '{{' that is never closed", Fix);
            }

            var column = text[(i + 1)..close].Trim();
            if (column.Length == 0 || column.Contains('{', StringComparison.Ordinal))
            {
                throw new ConfigException(location, $"event name '{text}' has a placeholder without a column name", Fix);
            }

            if (literal.Length > 0)
            {
                parts.Add((literal.ToString(), false));
                literal.Clear();
            }

            parts.Add((column, true));
            i = close;
        }

        if (literal.Length > 0)
        {
            parts.Add((literal.ToString(), false));
        }

        var template = new EventNameTemplate(text, parts);
        if (template.FixedName is { } name && string.IsNullOrWhiteSpace(name))
        {
            throw new ConfigException(location, "the event name is empty", "name the event, e.g. 'event: Order Completed'");
        }

        return template;
    }

    /// <summary>
    /// The event name of one record, <paramref name="ordinals"/> giving where each of <see cref="Columns"/> is in
    /// <c>Change.Values</c>. A NULL or unreadable placeholder value rejects the record: Segment drops a track
    /// without an event, and a name with a hole in it would be a different event.
    /// </summary>
    public string Render(Change change, IReadOnlyList<int> ordinals)
    {
        var name = new StringBuilder();
        foreach (var (text, isColumn) in _parts)
        {
            if (!isColumn)
            {
                name.Append(text);
                continue;
            }

            var value = change.Values[ordinals[IndexOf(text)]];
            switch (value)
            {
                case null:
                    throw new SluiceException(ErrorClass.RecordRejected,
                        $"the event name '{Text}' needs column '{text}', which is NULL in this record; Segment would drop a track without an event name");
                case UnreadableValue unreadable:
                    throw new SluiceException(ErrorClass.RecordRejected, unreadable.Reason);
                default:
                    name.Append(Format(value));
                    break;
            }
        }

        if (string.IsNullOrWhiteSpace(name.ToString()))
        {
            throw new SluiceException(ErrorClass.RecordRejected,
                $"the event name '{Text}' is empty for this record; Segment would drop a track without an event name");
        }

        return name.ToString();
    }

    private int IndexOf(string column)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (Columns[i] == column)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Format(object value) => value switch
    {
        string text => text,
        bool flag => flag ? "true" : "false",
        DateTime timestamp => (timestamp.Kind == DateTimeKind.Local ? timestamp.ToUniversalTime() : timestamp)
            .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        DateTimeOffset timestamp => timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
