using System.Buffers;
using System.Globalization;
using System.Text;

namespace Sluice.State;

/// <summary>
/// How the state store keeps a string the engine gives it (a record key, a message id, a reason, a payload, an
/// error) in a <c>text</c> column. PostgreSQL text cannot hold U+0000 ("invalid byte sequence for encoding UTF8:
/// 0x00") and Npgsql refuses to encode a lone surrogate, so either in one record's data would fail the commit
/// that moves the checkpoint, on every retry.
/// <para>
/// A string without them is stored as it is (what nearly every string is, so the tables stay readable and old
/// rows need no migration). Any other string — and, so that no two strings are ever stored alike, any string
/// that starts with the marker U+FFFF (a noncharacter, "for internal use") — is stored as the marker followed by
/// the string with <c>\</c> written <c>\\</c> and U+0000 and each lone surrogate written <c>\uXXXX</c>. The
/// encoding is deterministic, so a stored key is found by storing the key looked for, and reversible, so a
/// replay sends the message id first used.
/// </para>
/// </summary>
internal static class StoredText
{
    private const char Marker = '\uffff';

    /// <summary>U+0000 and every surrogate, paired or not: what makes a string worth a closer look.</summary>
    private static readonly SearchValues<char> NulOrSurrogate = SearchValues.Create(NulAndSurrogates());

    /// <summary>The form of <paramref name="value"/> that a <c>text</c> column can hold.</summary>
    public static string Store(string value)
    {
        if (!NeedsEscaping(value))
        {
            return value;
        }

        var stored = new StringBuilder(value.Length + 8).Append(Marker);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\')
            {
                stored.Append(@"\\");
            }
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                stored.Append(c).Append(value[++i]);
            }
            else if (c == '\0' || char.IsSurrogate(c))
            {
                stored.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                stored.Append(c);
            }
        }

        return stored.ToString();
    }

    /// <summary><see cref="Store(string)"/> for a column that may be null.</summary>
    public static object StoreOrNull(string? value) => value is null ? DBNull.Value : Store(value);

    /// <summary>The string <see cref="Store(string)"/> was given.</summary>
    public static string Read(string stored)
    {
        if (stored.Length == 0 || stored[0] != Marker)
        {
            return stored;
        }

        var value = new StringBuilder(stored.Length);
        for (var i = 1; i < stored.Length; i++)
        {
            var c = stored[i];
            if (c == '\\' && i + 1 < stored.Length && stored[i + 1] == '\\')
            {
                value.Append('\\');
                i++;
            }
            else if (c == '\\' && i + 5 < stored.Length && stored[i + 1] == 'u'
                && int.TryParse(stored.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
            {
                value.Append((char)code);
                i += 5;
            }
            else
            {
                value.Append(c);
            }
        }

        return value.ToString();
    }

    /// <summary><see cref="Read(string)"/> for a column that may be null.</summary>
    public static string? ReadOrNull(string? stored) => stored is null ? null : Read(stored);

    /// <summary>
    /// A key as a person can type it: <c>\u0000</c> and <c>\uD800</c>–<c>\uDFFF</c> written out stand for the
    /// characters no command line can carry (<c>sluice explain web "m\u0000"</c>). Other text is left as it is.
    /// </summary>
    public static string Typed(string value)
    {
        if (!value.Contains(@"\u", StringComparison.OrdinalIgnoreCase))
        {
            return value;
        }

        var result = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 5 < value.Length && (value[i + 1] == 'u' || value[i + 1] == 'U')
                && int.TryParse(value.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
                && (code == 0 || char.IsSurrogate((char)code)))
            {
                result.Append((char)code);
                i += 5;
            }
            else
            {
                result.Append(value[i]);
            }
        }

        return result.ToString();
    }

    /// <summary>
    /// Whether <paramref name="value"/> holds what a <c>text</c> column cannot (or starts with the marker). Runs for every key
    /// and message id of every committed batch, so the common answer (no) comes from one vectorized search; only from the
    /// first NUL or surrogate on is the string walked char by char, to tell a valid pair from a lone half.
    /// </summary>
    private static bool NeedsEscaping(string value)
    {
        var text = value.AsSpan();
        if (text.Length > 0 && text[0] == Marker)
        {
            return true;
        }

        // SearchValues, not the generic IndexOfAnyInRange: that one boxes each char of a span too short to vectorize.
        var from = text.IndexOfAny(NulOrSurrogate);
        if (from < 0)
        {
            return false;
        }

        for (var i = from; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return true;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }

    private static string NulAndSurrogates()
    {
        var chars = new char[1 + 0xE000 - 0xD800];
        for (var c = 0xD800; c < 0xE000; c++)
        {
            chars[1 + c - 0xD800] = (char)c;
        }

        return new string(chars);
    }
}
