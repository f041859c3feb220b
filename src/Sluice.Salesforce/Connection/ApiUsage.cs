using System.Globalization;
using System.Text.RegularExpressions;

namespace Sluice.Salesforce.Connection;

/// <summary>The org's daily API requests as Salesforce last reported them: used of the rolling 24 h limit.</summary>
public readonly partial record struct ApiUsage(long Used, long Max)
{
    /// <summary>Requests left in the org's 24 h window.</summary>
    public long Remaining => Math.Max(0, Max - Used);

    /// <summary>
    /// Reads <c>Sforce-Limit-Info: api-usage=18/5000</c> (other parts such as <c>per-app-api-usage</c> may follow);
    /// null when the header says nothing about it.
    /// </summary>
    public static ApiUsage? Parse(string? header)
    {
        if (header is null)
        {
            return null;
        }

        var match = UsagePattern().Match(header);
        return match.Success
            && long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var used)
            && long.TryParse(match.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var max)
            ? new ApiUsage(used, max)
            : null;
    }

    // "api-usage=" but not "per-app-api-usage=": the per-app figure is a connected app's own cap, not the org's.
    [GeneratedRegex(@"(?<![-\w])api-usage=(\d+)/(\d+)")]
    private static partial Regex UsagePattern();
}
