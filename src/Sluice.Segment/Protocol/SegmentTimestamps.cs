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

    /// <summary>The length of <see cref="FormatUtf8"/>'s text: <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>.</summary>
    public const int Utf8Length = 24;

    /// <summary>
    /// <see cref="Format"/> as UTF-8 into <paramref name="destination"/> (at least <see cref="Utf8Length"/> bytes), without
    /// a string: the round-trip format's fast path, cut to milliseconds (it truncates, as <c>fff</c> does).
    /// </summary>
    public static ReadOnlySpan<byte> FormatUtf8(long utcTicks, Span<byte> destination)
    {
        Span<byte> roundTrip = stackalloc byte[28];
        new DateTime(utcTicks, DateTimeKind.Utc).TryFormat(roundTrip, out _, "O", CultureInfo.InvariantCulture);
        roundTrip[..23].CopyTo(destination);
        destination[23] = (byte)'Z';
        return destination[..Utf8Length];
    }

    /// <summary>Segment's wire format for times: ISO-8601 UTC with milliseconds.</summary>
    public static string Format(long utcTicks) =>
        new DateTime(utcTicks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
