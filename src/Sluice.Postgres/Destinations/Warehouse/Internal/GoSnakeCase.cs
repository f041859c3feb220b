using System.Text;

namespace Sluice.Postgres.Destinations.Warehouse.Internal;

/// <summary>
/// Segment's <c>segmentio/go-snakecase</c>, the function every warehouse table and column name goes through
/// (segment-docs <c>storage/warehouses/schema.md</c>). It works on UTF-8 bytes and knows only ASCII: every other
/// byte is a separator, so <c>Über</c> becomes <c>ber</c>. The output holds only <c>[a-z0-9_]</c>.
/// </summary>
internal static class GoSnakeCase
{
    public static string Convert(string input)
    {
        var bytes = Encoding.UTF8.GetBytes(input);
        var n = bytes.Length;

        // 1. The longest prefix that is already snake case: [a-z0-9], with a lone '_' between two such runs.
        var i = 0;
        while (i < n && IsValidAt(bytes, i))
        {
            i++;
        }

        if (i == n)
        {
            return input;
        }

        var output = new StringBuilder(n + 8);
        for (var k = 0; k < i; k++)
        {
            output.Append((char)bytes[k]);
        }

        // 2. An upper-case letter right after a prefix with no lower-case letter in its last segment continues that
        //    segment without a separator: "CStringRef" -> "cstring…", "5TEst" -> "5test", "edf_6N" -> "edf_6n".
        if (IsUpper(bytes[i]) && !LastSegmentHasLower(bytes, i))
        {
            i = AppendWord(bytes, i, output);
        }

        // 3. Words: a run of [A-Z0-9] (lower-cased) then a run of [a-z0-9]; anything else separates words.
        while (i < n)
        {
            if (!IsAlphanumeric(bytes[i]))
            {
                i++;
                continue;
            }

            if (output.Length > 0)
            {
                output.Append('_');
            }

            i = AppendWord(bytes, i, output);
        }

        return output.ToString();
    }

    private static bool IsValidAt(byte[] bytes, int i)
    {
        var b = bytes[i];
        if (IsLowerOrDigit(b))
        {
            return true;
        }

        return b == (byte)'_' && i > 0 && i < bytes.Length - 1 && IsLowerOrDigit(bytes[i + 1]);
    }

    private static bool LastSegmentHasLower(byte[] bytes, int prefixLength)
    {
        for (var k = prefixLength - 1; k >= 0 && bytes[k] != (byte)'_'; k--)
        {
            if (IsLower(bytes[k]))
            {
                return true;
            }
        }

        return false;
    }

    private static int AppendWord(byte[] bytes, int i, StringBuilder output)
    {
        while (i < bytes.Length && (IsUpper(bytes[i]) || IsDigit(bytes[i])))
        {
            output.Append(IsUpper(bytes[i]) ? (char)(bytes[i] + ('a' - 'A')) : (char)bytes[i]);
            i++;
        }

        while (i < bytes.Length && IsLowerOrDigit(bytes[i]))
        {
            output.Append((char)bytes[i]);
            i++;
        }

        return i;
    }

    private static bool IsLower(byte b) => b is >= (byte)'a' and <= (byte)'z';

    private static bool IsUpper(byte b) => b is >= (byte)'A' and <= (byte)'Z';

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static bool IsLowerOrDigit(byte b) => IsLower(b) || IsDigit(b);

    private static bool IsAlphanumeric(byte b) => IsLowerOrDigit(b) || IsUpper(b);
}
