using System.Globalization;

namespace Sluice.Bench.Harness;

/// <summary>How every benchmark's console table writes its values (each report keeps its own column widths).</summary>
internal static class ReportFormat
{
    public static string Percent(double? ratio) => ratio is { } v ? $"{v * 100,11:F1}%" : "?";

    /// <summary><c>met (target)</c>, <c>MISSED (target)</c>, or the target alone when it could not be judged.</summary>
    public static string Verdict(bool? met, string target) => met switch
    {
        true => $"met ({target})",
        false => $"MISSED ({target})",
        null => target,
    };

    public static string Count(long? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "?";

    /// <summary>A PostgreSQL setting of the measured cluster, <c>?</c> when unknown.</summary>
    public static string Setting(MachineInfo machine, string name) => machine.PostgresSettings.TryGetValue(name, out var value) ? value : "?";
}
