using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Sluice.Postgres.Destinations.Warehouse.Internal;

/// <summary>
/// Strings and keys of an event as text PostgreSQL can store. JSON may escape what PostgreSQL text cannot hold: NUL
/// (<c>\u0000</c>) and lone UTF-16 surrogates (<c>\udc00</c>), which System.Text.Json also refuses to turn into a .NET
/// string (<see cref="InvalidOperationException"/>). Such a character is stored as U+FFFD, the replacement character,
/// and the caller is handed the string as sent (JSON text, escapes intact) so it can record the change in
/// <c>discards</c>.
/// </summary>
internal static class JsonText
{
    public const char Replacement = '\uFFFD';

    /// <summary>U+0000 and every surrogate, paired or not: what makes a string worth a closer look.</summary>
    private static readonly SearchValues<char> NulOrSurrogate = SearchValues.Create(NulAndSurrogates());

    /// <summary>The string value of <paramref name="value"/> (a JSON string); <paramref name="asSent"/> is its JSON
    /// text when a character had to be replaced, else null.</summary>
    public static string Decode(JsonElement value, out string? asSent)
    {
        string text;
        try
        {
            text = value.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            asSent = value.GetRawText();
            return Repair(Unescape(asSent.AsSpan(1, asSent.Length - 2)));
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            asSent = value.GetRawText();
            return text.Replace('\0', Replacement);
        }

        asSent = null;
        return text;
    }

    /// <summary>The string at <paramref name="reader"/> (a single-segment reader on a string token), with NUL and lone
    /// surrogates replaced by U+FFFD.</summary>
    public static string Decode(ref Utf8JsonReader reader)
    {
        try
        {
            return Repair(reader.GetString() ?? "");
        }
        catch (InvalidOperationException)
        {
            return Repair(Unescape(Encoding.UTF8.GetString(reader.ValueSpan)));
        }
    }

    /// <summary>The key of <paramref name="property"/>, or false when it holds a lone surrogate and so is not text.</summary>
    public static bool TryGetName(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            name = "";
            return false;
        }
    }

    /// <summary>The key as sent, escapes intact (<c>\udc00</c>): always valid UTF-8 without NUL.</summary>
    public static string RawName(JsonProperty property) => Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8PropertyName(property));

    /// <summary>NUL and unpaired surrogates replaced by U+FFFD; any other text is returned as it is.</summary>
    public static string Repair(string text)
    {
        // Every value of every row passes here before PostgreSQL: the common answer (nothing to repair) comes from one
        // vectorized search, and only from the first NUL or surrogate on is the text walked char by char.
        var from = text.AsSpan().IndexOfAny(NulOrSurrogate);
        if (from < 0)
        {
            return text;
        }

        StringBuilder? repaired = null;
        for (var i = from; i < text.Length; i++)
        {
            var c = text[i];
            var ok = c != '\0' && (!char.IsSurrogate(c)
                || (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])));
            if (ok && char.IsHighSurrogate(c))
            {
                repaired?.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }

            if (!ok && repaired is null)
            {
                repaired = new StringBuilder(text.Length).Append(text, 0, i);
            }

            repaired?.Append(ok ? c : Replacement);
        }

        return repaired?.ToString() ?? text;
    }

    /// <summary>JSON string escapes undone, lone surrogates kept as chars (a .NET string can hold them).</summary>
    private static string Unescape(ReadOnlySpan<char> escaped)
    {
        var text = new StringBuilder(escaped.Length);
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] != '\\' || i + 1 >= escaped.Length)
            {
                text.Append(escaped[i]);
                continue;
            }

            var next = escaped[++i];
            switch (next)
            {
                case 'u' when i + 4 < escaped.Length
                    && ushort.TryParse(escaped.Slice(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                    text.Append((char)code);
                    i += 4;
                    break;
                case 'b': text.Append('\b'); break;
                case 'f': text.Append('\f'); break;
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 't': text.Append('\t'); break;
                default: text.Append(next); break;
            }
        }

        return text.ToString();
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
