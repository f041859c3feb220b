using System.Globalization;

namespace Sluice.Core.Engine.Diffing;

/// <summary>Integer keys (<see cref="Connectors.NativeKeyType.Integer"/>) held as <see cref="long"/>: 8 bytes a key.</summary>
internal readonly struct IntegerKeyCodec : INativeKeyCodec<long>
{
    public static bool TryParse(string text, out long key)
    {
        // The longest canonical form is "-9223372036854775808": 20 characters.
        if (text.Length is > 0 and <= 20 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out key))
        {
            Span<char> canonical = stackalloc char[20];
            if (key.TryFormat(canonical, out var written, default, CultureInfo.InvariantCulture) && canonical[..written].SequenceEqual(text))
            {
                return true;
            }
        }

        key = 0;
        return false;
    }

    public static string Format(long key) => key.ToString(CultureInfo.InvariantCulture);

    public static long From(UInt128 key) => unchecked((long)(ulong)key);
}
