namespace Sluice.Core.State;

/// <summary>
/// The order in which record keys are stored and diffed: by Unicode code point, which is the byte order
/// of UTF-8 and so the order of PostgreSQL's <c>COLLATE "C"</c> on a UTF-8 database. A source that merges
/// its rows with stored fingerprints must sort its keys the same way.
/// </summary>
/// <remarks>
/// <see cref="string.CompareOrdinal(string, string)"/> compares UTF-16 code units, which puts
/// characters above U+FFFF (surrogate pairs) before U+E000–U+FFFF: one remapping fixes that.
/// </remarks>
public sealed class RecordKeyOrder : IComparer<string>
{
    public static readonly RecordKeyOrder Instance = new();

    private RecordKeyOrder()
    {
    }

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
        {
            var a = x[i];
            var b = y[i];
            if (a != b)
            {
                return CodePointRank(a) - CodePointRank(b);
            }
        }

        return x.Length - y.Length;
    }

    /// <summary>Surrogates (U+D800–U+DFFF) rank above U+E000–U+FFFF, as the code points they encode do.</summary>
    private static int CodePointRank(char c) => c switch
    {
        >= '\uE000' => c - 0x800,
        >= '\uD800' => c + 0x2000,
        _ => c,
    };
}
