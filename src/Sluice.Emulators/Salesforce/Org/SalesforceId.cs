namespace Sluice.Emulators.Salesforce.Org;

/// <summary>
/// Salesforce record ids: 15 case-sensitive base-62 characters (3-character key prefix first) plus a
/// 3-character checksum that makes the 18-character form case-insensitive. The API always answers with 18.
/// </summary>
public static class SalesforceId
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string ChecksumAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

    /// <summary>
    /// The 3 checksum characters of a 15-character id: per 5-character chunk, bit j is set when character j
    /// is an upper-case letter; the 5-bit value indexes <c>A…Z0…5</c>.
    /// </summary>
    public static string Checksum(ReadOnlySpan<char> id15)
    {
        if (id15.Length != 15)
        {
            throw new ArgumentException("A Salesforce id without checksum has 15 characters.", nameof(id15));
        }

        Span<char> suffix = stackalloc char[3];
        for (var chunk = 0; chunk < 3; chunk++)
        {
            var bits = 0;
            for (var j = 0; j < 5; j++)
            {
                if (char.IsAsciiLetterUpper(id15[(chunk * 5) + j]))
                {
                    bits |= 1 << j;
                }
            }

            suffix[chunk] = ChecksumAlphabet[bits];
        }

        return new string(suffix);
    }

    /// <summary>The 18-character form of a 15-character id.</summary>
    public static string To18(string id15) => id15 + Checksum(id15);

    /// <summary>
    /// Builds the <paramref name="sequence"/>-th id of an object: key prefix, a fixed pod <c>Hs</c>, a reserved
    /// <c>0</c>, then the sequence in base 62 over 9 characters, then the checksum.
    /// </summary>
    public static string Create(string keyPrefix, long sequence)
    {
        Span<char> id = stackalloc char[15];
        keyPrefix.AsSpan().CopyTo(id);
        id[3] = 'H';
        id[4] = 's';
        id[5] = '0';
        var rest = sequence;
        for (var i = 14; i >= 6; i--)
        {
            id[i] = Base62[(int)(rest % 62)];
            rest /= 62;
        }

        var id15 = new string(id);
        return id15 + Checksum(id15);
    }

    /// <summary>
    /// The canonical 18-character id for a 15-character id (case matters) or an 18-character one (case does
    /// not: the checksum restores it). False for anything else, including a wrong checksum.
    /// </summary>
    public static bool TryNormalize(string? text, out string id18)
    {
        id18 = "";
        if (text is null || (text.Length != 15 && text.Length != 18))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        if (text.Length == 15)
        {
            id18 = To18(text);
            return true;
        }

        Span<char> id = stackalloc char[15];
        for (var chunk = 0; chunk < 3; chunk++)
        {
            var bits = ChecksumAlphabet.IndexOf(char.ToUpperInvariant(text[15 + chunk]));
            if (bits < 0)
            {
                return false;
            }

            for (var j = 0; j < 5; j++)
            {
                var c = text[(chunk * 5) + j];
                id[(chunk * 5) + j] = char.IsAsciiLetter(c)
                    ? ((bits & (1 << j)) != 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c))
                    : c;
            }
        }

        var restored = new string(id);
        var expected = Checksum(restored);
        if (!expected.Equals(text[15..], StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        id18 = restored + expected;
        return true;
    }
}
