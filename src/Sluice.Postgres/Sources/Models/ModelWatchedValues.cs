using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Sluice.Postgres.Sources.Models;

/// <summary>
/// A record's watched values and row counts (<see cref="ModelSource.RowOf"/>): the names shared by every record of a
/// read, the values its own, in one array. A read of every record makes one per record, and a
/// <see cref="Dictionary{TKey, TValue}"/> each (its buckets and entries) was a few percent of a first sync's CPU for a
/// handful of names that are looked up by a linear scan as fast.
/// </summary>
internal sealed class ModelWatchedValues : IReadOnlyDictionary<string, string?>
{
    /// <summary>The texts of the row counts most records have, made once: PostgreSQL's text of a <c>bigint</c>.</summary>
    private static readonly string[] SmallCounts = [.. Enumerable.Range(0, 1024).Select(n => n.ToString(CultureInfo.InvariantCulture))];

    private readonly string[] _names;
    private readonly string?[] _values;

    /// <param name="names">Each name once; shared, never changed.</param>
    /// <param name="values">The value of each name, by position; this record's own.</param>
    public ModelWatchedValues(string[] names, string?[] values)
    {
        _names = names;
        _values = values;
    }

    public int Count => _names.Length;

    public IEnumerable<string> Keys => _names;

    public IEnumerable<string?> Values => _values;

    public string? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"'{key}' is not watched");

    /// <summary>PostgreSQL's text of a row count, as <c>count(*)::text</c> gives it.</summary>
    public static string CountText(long count) => (ulong)count < (ulong)SmallCounts.Length ? SmallCounts[count] : count.ToString(CultureInfo.InvariantCulture);

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string? value)
    {
        var i = IndexOf(key);
        value = i >= 0 ? _values[i] : null;
        return i >= 0;
    }

    public IEnumerator<KeyValuePair<string, string?>> GetEnumerator()
    {
        for (var i = 0; i < _names.Length; i++)
        {
            yield return new KeyValuePair<string, string?>(_names[i], _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string key)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (string.Equals(_names[i], key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
