using System.Globalization;

namespace Sluice.Segment.Protocol;

/// <summary>Segment's times: the clock-skew correction and the wire format.</summary>
public static class SegmentTimestamps
{
    /// <summary>
    /// <c>timestamp = receivedAt - (sentAt - originalTimestamp)</c> (spec/common.md "Timestamps"), all UTC ticks,
    /// 0 meaning absent. No client time → <paramref name="receivedAtTicks"/>; no <c>sentAt</c> → the client time as is;
    /// a result outside the representable range → <paramref name="receivedAtTicks"/>.
    /// </summary>
    public static long Correct(long clientTimeTicks, long sentAtTicks, long receivedAtTicks)
    {
        var timestamp = clientTimeTicks == 0 ? receivedAtTicks
            : sentAtTicks == 0 ? clientTimeTicks
            : receivedAtTicks - (sentAtTicks - clientTimeTicks);
        return timestamp > 0 && timestamp <= DateTime.MaxValue.Ticks ? timestamp : receivedAtTicks;
    }

    /// <summary>Now, truncated to the millisecond Segment's timestamps carry, so the skew arithmetic round-trips.</summary>
    public static long NowTicks(TimeProvider time)
    {
        var ticks = time.GetUtcNow().UtcTicks;
        return ticks - (ticks % TimeSpan.TicksPerMillisecond);
    }

    /// <summary>Segment's wire format for times: ISO-8601 UTC with milliseconds.</summary>
    public static string Format(long utcTicks) =>
        new DateTime(utcTicks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
