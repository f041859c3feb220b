using System.Globalization;
using Sluice.Core.Errors;
using Sluice.Segment.Protocol;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>
/// Checks options before anything listens. Messages name the option and the matching
/// <c>sluice emulate segment</c> flag, and say what is allowed.
/// </summary>
internal static class SegmentOptionsValidator
{
    public static void Validate(SegmentEmulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Host))
        {
            problems.Add("Host (--host) must be an IP address or host name, e.g. 127.0.0.1.");
        }

        if (options.Port is < 0 or > 65535)
        {
            problems.Add(Invariant($"Port (--port) must be 0..65535 (0 picks a free port); got {options.Port}."));
        }

        if (options.RetainMessages < 0)
        {
            problems.Add(Invariant($"RetainMessages (--retain) must be 0 or more; got {options.RetainMessages}."));
        }

        if (options.WriteKeys is { } keys && keys.Any(string.IsNullOrEmpty))
        {
            problems.Add("WriteKeys (--write-key) must not contain an empty key; omit the flag to accept any key.");
        }

        if (options.TimeProvider is null)
        {
            problems.Add("TimeProvider must not be null; leave it unset for the system clock.");
        }

        problems.AddRange(Check(options.Faults));
        if (problems.Count > 0)
        {
            throw SluiceException.Config("Invalid Segment emulator options: " + string.Join(" ", problems));
        }
    }

    /// <summary>Problems with fault options (empty when valid); also used by <c>PUT /__emulator/faults</c>.</summary>
    public static List<string> Check(SegmentFaultOptions? faults)
    {
        var problems = new List<string>();
        if (faults is null)
        {
            problems.Add("Faults must not be null; use new SegmentFaultOptions() for none.");
            return problems;
        }

        Rate(faults.RateLimitRate, "RateLimitRate (--rate-limit-rate)");
        Rate(faults.ServerErrorRate, "ServerErrorRate (--server-error-rate)");
        Rate(faults.DropConnectionRate, "DropConnectionRate (--drop-connection-rate)");
        Rate(faults.SlowRate, "SlowRate (--slow-rate)");
        if (faults.RetryAfterSeconds is < 0 or > SegmentLimits.MaxRetryAfterSeconds)
        {
            problems.Add(Invariant($"RetryAfterSeconds (--retry-after) must be 0..{SegmentLimits.MaxRetryAfterSeconds}; got {faults.RetryAfterSeconds}."));
        }

        if (faults.SlowDelay < TimeSpan.Zero || faults.SlowDelay > TimeSpan.FromMinutes(10))
        {
            problems.Add(Invariant($"SlowDelay (--slow-delay) must be between 0 and 10 minutes; got {faults.SlowDelay}."));
        }

        return problems;

        void Rate(double value, string name)
        {
            if (!(value >= 0 && value <= 1))
            {
                problems.Add(Invariant($"{name} is a probability and must be between 0 and 1; got {value}."));
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
