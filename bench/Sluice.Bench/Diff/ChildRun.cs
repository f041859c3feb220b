using System.Globalization;
using System.Text.RegularExpressions;

namespace Sluice.Bench.Diff;

/// <summary>
/// One <c>sluice</c> child process, timed from start to exit, with what it printed about itself: a sync's
/// summary (<c>run 2 done in 3.1 s: 10,000 read, …</c>) or a plan's (<c>read and encoded in 2.4 s</c>).
/// </summary>
/// <param name="EngineSeconds">The time the process reports for its own work (a sync's run, a plan's read), without start-up.</param>
/// <param name="Read">Records the sync read (for a diff: the changes it found), or the plan would send.</param>
internal sealed partial record ChildRun(
    string Command,
    double WallSeconds,
    double? EngineSeconds,
    double CpuSeconds,
    double PeakRssMegabytes,
    long? Read,
    long? Acknowledged,
    long? EmulatorReceived,
    long? EmulatorUnique,
    string? Summary)
{
    /// <summary>The local cluster's CPU (every backend, the checkpointer and autovacuum included) while the process ran; null when unreadable.</summary>
    public double? PostgresCpuSeconds { get; init; }

    public static (double? Seconds, long? Read, long? Acknowledged, string? Line) ParseSync(string log)
    {
        var match = SyncSummary().Match(log);
        return match.Success
            ? (Seconds(match.Groups[1].Value), Count(match.Groups[2].Value), Count(match.Groups[3].Value), match.Value)
            : (null, null, null, null);
    }

    public static (double? Seconds, long? WouldSend, string? Line) ParsePlan(string log)
    {
        var time = PlanSummary().Match(log);
        var calls = PlanCalls().Match(log);
        return (time.Success ? Seconds(time.Groups[1].Value) : null,
            calls.Success ? Count(calls.Groups[1].Value) : log.Contains("calls: none", StringComparison.Ordinal) ? 0 : null,
            time.Success ? time.Value : null);
    }

    private static double Seconds(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>Digits only: the CLI groups thousands in the user's culture.</summary>
    private static long Count(string text) => long.Parse(new string(text.Where(char.IsAsciiDigit).ToArray()), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"done in ([0-9]+(?:\.[0-9]+)?) s: ([0-9][0-9,. ]*) read, ([0-9][0-9,. ]*) acknowledged")]
    private static partial Regex SyncSummary();

    [GeneratedRegex(@"read and encoded in ([0-9]+(?:\.[0-9]+)?) s")]
    private static partial Regex PlanSummary();

    [GeneratedRegex(@"calls: ([0-9][0-9,. ]*) × ")]
    private static partial Regex PlanCalls();
}
