using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Sluice.Segment.Protocol;

/// <summary>
/// Finds the strings of a JSON body, keys and values at any depth, that are not Unicode text: bytes that are not UTF-8
/// (RFC 8259 §8.1: JSON exchanged between systems must be UTF-8) and <c>\u</c> escapes of a lone surrogate (allowed by
/// the JSON grammar, but they encode no character: .NET cannot decode them and PostgreSQL refuses them).
/// <see cref="Utf8JsonReader"/> checks neither: such a value would be queued raw and read back with U+FFFD in its
/// place, and a key or an identifier would throw where it is decoded. The ingest API refuses them up front.
/// </summary>
public static class JsonTextValidator
{
    private const int MaxKeyShown = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    private static readonly JavaScriptEncoder KeyEncoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>
    /// At most <paramref name="max"/> problems, in body order; empty when every string is text. In a body that is not
    /// JSON, only the problems before the syntax error are found: the parser that reads the body next reports the error.
    /// </summary>
    /// <param name="json">The body, without a byte order mark.</param>
    /// <param name="itemsField">The root field holding the items (<c>batch</c>, <c>events</c>), for <see cref="JsonTextProblem.ItemIndex"/>.</param>
    /// <param name="max">The most problems reported.</param>
    public static IReadOnlyList<JsonTextProblem> Find(ReadOnlySpan<byte> json, ReadOnlySpan<byte> itemsField, int max)
    {
        // The common case costs two vectorised scans: all UTF-8, and no escape that could be a surrogate.
        return Utf8.IsValid(json) && !MayHoldSurrogateEscape(json) ? [] : Walk(json, itemsField, max);
    }

    private static List<JsonTextProblem> Walk(ReadOnlySpan<byte> json, ReadOnlySpan<byte> itemsField, int max)
    {
        var problems = new List<JsonTextProblem>();
        var frames = new Frame[ReaderOptions.MaxDepth + 1];
        var depth = 0;
        var sawItems = false;
        var reader = new Utf8JsonReader(json, ReaderOptions);
        try
        {
            while (problems.Count < max && reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        if (Check(ref reader) is { } badKey)
                        {
                            problems.Add(Problem(frames, depth - 1, json, "a key " + badKey));

                            // Nothing below a key that cannot be named is reported.
                            reader.Read();
                            reader.Skip();
                            continue;
                        }

                        ref var frame = ref frames[depth - 1];
                        frame.KeyStart = (int)reader.TokenStartIndex + 1;
                        frame.KeyLength = reader.ValueSpan.Length;
                        frame.KeyEscaped = reader.ValueIsEscaped;
                        if (depth == 1)
                        {
                            frame.IsItems = reader.ValueTextEquals(itemsField);
                            sawItems |= frame.IsItems;
                        }

                        continue;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        depth--;
                        continue;
                }

                // A value; in an array, the next element.
                if (depth > 0 && frames[depth - 1].IsArray)
                {
                    frames[depth - 1].Index++;
                }

                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        frames[depth++] = default;
                        break;
                    case JsonTokenType.StartArray:
                        frames[depth++] = new Frame { IsArray = true, Index = -1 };
                        break;
                    case JsonTokenType.String when Check(ref reader) is { } badValue:
                        problems.Add(Problem(frames, depth, json, badValue));
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: reported by the parser that reads the body next.
        }

        // A body without an item array is a single item.
        return sawItems ? problems : [.. problems.Select(p => p with { ItemIndex = 0 })];
    }

    /// <summary>What is wrong with the current string token, or null for valid text.</summary>
    private static string? Check(ref Utf8JsonReader reader)
    {
        var raw = reader.ValueSpan;
        if (!Utf8.IsValid(raw))
        {
            return "is not valid UTF-8; send text as UTF-8";
        }

        return reader.ValueIsEscaped && LoneSurrogate(raw) is { } unit
            ? $"holds the lone surrogate escape \\u{unit:x4}, half of a UTF-16 pair without its other half, which encodes no character"
            : null;
    }

    /// <summary>The first <c>\u</c> escape of a surrogate that is not half of a high-low pair, in raw (still escaped) string bytes.</summary>
    private static int? LoneSurrogate(ReadOnlySpan<byte> raw)
    {
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\')
            {
                continue;
            }

            // The reader has checked the escapes: a backslash is followed by one character, "u" by four hex digits.
            i++;
            if (raw[i] != 'u')
            {
                continue;
            }

            var unit = Hex4(raw.Slice(i + 1, 4));
            i += 4;
            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                if (i + 6 < raw.Length && raw[i + 1] == '\\' && raw[i + 2] == 'u' && Hex4(raw.Slice(i + 3, 4)) is >= 0xDC00 and <= 0xDFFF)
                {
                    i += 6;
                    continue;
                }

                return unit;
            }

            if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                return unit;
            }
        }

        return null;
    }

    /// <summary>Whether some <c>\uD8</c>…<c>\uDF</c> occurs: a cheap over-estimate (it may be an escaped backslash's text) that spares the walk.</summary>
    private static bool MayHoldSurrogateEscape(ReadOnlySpan<byte> json)
    {
        var rest = json;
        for (var at = rest.IndexOf("\\u"u8); at >= 0; at = rest.IndexOf("\\u"u8))
        {
            if (at + 3 < rest.Length && (rest[at + 2] | 0x20) == 'd' && HexValue(rest[at + 3]) >= 8)
            {
                return true;
            }

            rest = rest[(at + 2)..];
        }

        return false;
    }

    private static int Hex4(ReadOnlySpan<byte> digits) =>
        (HexValue(digits[0]) << 12) | (HexValue(digits[1]) << 8) | (HexValue(digits[2]) << 4) | HexValue(digits[3]);

    private static int HexValue(byte digit) => digit switch
    {
        >= (byte)'0' and <= (byte)'9' => digit - '0',
        >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => digit - 'A' + 10,
        _ => -1,
    };

    /// <param name="frames">The open containers.</param>
    /// <param name="count">How many of them the path goes through: the problem is in the current child of each.</param>
    private static JsonTextProblem Problem(Frame[] frames, int count, ReadOnlySpan<byte> json, string message)
    {
        var path = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var frame = frames[i];
            if (frame.IsArray)
            {
                path.Append('[').Append(frame.Index.ToString(CultureInfo.InvariantCulture)).Append(']');
                continue;
            }

            var key = KeyText(json, frame);
            if (key.Length <= MaxKeyShown && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '$' or '-') && key.Length > 0)
            {
                path.Append(path.Length > 0 ? "." : "").Append(key);
            }
            else
            {
                var shown = key.Length <= MaxKeyShown ? key : key[..MaxKeyShown] + "…";
                path.Append("[\"").Append(KeyEncoder.Encode(shown)).Append("\"]");
            }
        }

        var item = count >= 2 && frames[0].IsItems && frames[1].IsArray ? frames[1].Index : (int?)null;
        return new JsonTextProblem(path.Length == 0 ? "$" : path.ToString(), item, message);
    }

    /// <summary>A key already found to be valid text, decoded.</summary>
    private static string KeyText(ReadOnlySpan<byte> json, Frame frame)
    {
        if (!frame.KeyEscaped)
        {
            return Encoding.UTF8.GetString(json.Slice(frame.KeyStart, frame.KeyLength));
        }

        // The key with its quotes is a JSON string on its own.
        var reader = new Utf8JsonReader(json.Slice(frame.KeyStart - 1, frame.KeyLength + 2));
        reader.Read();
        return reader.GetString()!;
    }

    /// <summary>An open object (its current key) or array (its current index).</summary>
    private struct Frame
    {
        public bool IsArray;
        public int Index;
        public int KeyStart;
        public int KeyLength;
        public bool KeyEscaped;

        /// <summary>A root key that names the item array.</summary>
        public bool IsItems;
    }
}
