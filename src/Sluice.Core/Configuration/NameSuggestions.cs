namespace Sluice.Core.Configuration;

/// <summary>
/// "Did you mean 'email'?": the candidate closest to a misspelt name, when one is close enough
/// to be a plausible typo.
/// </summary>
public static class NameSuggestions
{
    /// <summary>
    /// The candidate with the smallest Damerau-Levenshtein distance to <paramref name="input"/>
    /// (case-insensitive; the first candidate wins a tie), or null when even the closest one is
    /// more than <c>max(2, input.Length / 3)</c> edits away or shares no character position with
    /// the input at all.
    /// </summary>
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(candidates);
        if (input.Length == 0)
        {
            return null;
        }

        var threshold = Math.Max(2, input.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            if (string.IsNullOrEmpty(candidate))
            {
                continue;
            }

            var distance = Distance(input.ToLowerInvariant(), candidate.ToLowerInvariant());
            // Replacing every character of a short name is not a typo ('x' is not a misspelt 'id').
            if (distance <= threshold && distance < Math.Max(input.Length, candidate.Length) && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    /// <summary>Edits (insert, delete, substitute, swap two adjacent characters) from a to b; optimal string alignment.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var value = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    value = Math.Min(value, d[i - 2, j - 2] + 1);
                }

                d[i, j] = value;
            }
        }

        return d[a.Length, b.Length];
    }
}
