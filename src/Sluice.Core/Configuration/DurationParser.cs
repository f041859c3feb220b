using System.Globalization;
using System.Text.RegularExpressions;

namespace Sluice.Core.Configuration;

/// <summary>Durations as people write them: <c>250ms</c>, <c>5s</c>, <c>1m</c>, <c>2h</c>, <c>1d</c>, <c>1.5s</c>, <c>1h30m</c>.</summary>
public static partial class DurationParser
{
    public const string Units = "ms, s, m, h, d";

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var trimmed = text.Trim();
        if (trimmed == "0")
        {
            return true;
        }

        if (!Whole().IsMatch(trimmed))
        {
            return false;
        }

        var milliseconds = 0.0;
        foreach (Match part in Part().Matches(trimmed))
        {
            var amount = double.Parse(part.Groups["amount"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            milliseconds += amount * part.Groups["unit"].Value switch
            {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => 86_400_000,
            };
        }

        if (milliseconds >= TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

    public static bool IsBareNumber(string text) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    [GeneratedRegex(@"^(\d+(\.\d+)?(ms|s|m|h|d))+$")]
    private static partial Regex Whole();

    [GeneratedRegex(@"(?<amount>\d+(\.\d+)?)(?<unit>ms|s|m|h|d)")]
    private static partial Regex Part();
}
