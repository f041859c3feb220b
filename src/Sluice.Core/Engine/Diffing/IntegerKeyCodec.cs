using System.Globalization;

namespace Sluice.Core.Engine.Diffing;

/// <summary>Integer keys (<see cref="Connectors.NativeKeyType.Integer"/>) held as <see cref="long"/>: 8 bytes a key.</summary>
internal readonly struct IntegerKeyCodec : INativeKeyCodec<long>
{
    /// <summary>
    /// By hand rather than <c>long.TryParse</c> and a round trip: a million stored keys are parsed per run, and the
    /// canonical form (an optional '-', no leading zero, no "-0", no '+' or spaces) is checked in the same pass.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out long key)
    {
        key = 0;
        var negative = utf8.Length > 0 && utf8[0] == (byte)'-';
        var digits = negative ? utf8[1..] : utf8;

        // 19 digits hold every long ("9223372036854775807"); 19 nines still fit in a ulong, so no overflow below.
        if (digits.Length is 0 or > 19 || (digits[0] == (byte)'0' && (digits.Length > 1 || negative)))
        {
            return false;
        }

        ulong value = 0;
        foreach (var b in digits)
        {
            var digit = (uint)(b - '0');
            if (digit > 9)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        if (negative)
        {
            if (value > 1UL << 63)
            {
                return false;
            }

            key = unchecked(-(long)value);
            return true;
        }

        if (value > long.MaxValue)
        {
            return false;
        }

        key = (long)value;
        return true;
    }

    public static string Format(long key) => key.ToString(CultureInfo.InvariantCulture);

    public static long From(UInt128 key) => unchecked((long)(ulong)key);
}
