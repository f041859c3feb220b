using System.Globalization;

namespace Sluice.Core.Connectors;

/// <summary>How health reports and <c>sluice status</c> write sizes and durations, so that every connector reads alike.</summary>
public static class HealthText
{
    /// <summary>A byte count as a person reads it: <c>0 B</c>, <c>812 kB</c>, <c>12.4 MB</c>, <c>1.5 GB</c> (units of 1024, as PostgreSQL's).</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        var format = unit == 0 || value >= 100 ? "0" : "0.#";
        return value.ToString(format, CultureInfo.InvariantCulture) + " " + units[unit];
    }

    /// <summary>Seconds as a person reads them: <c>42s</c>, <c>7m 12s</c>, <c>3h 5m</c>, <c>2d 4h</c>.</summary>
    public static string Duration(double seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Max(0, Math.Round(seconds)));
        return span switch
        {
            { TotalDays: >= 1 } => $"{(int)span.TotalDays}d {span.Hours}h",
            { TotalHours: >= 1 } => $"{span.Hours}h {span.Minutes}m",
            { TotalMinutes: >= 1 } => $"{span.Minutes}m {span.Seconds}s",
            _ => $"{span.Seconds}s",
        };
    }
}
