using System.Buffers.Binary;

namespace Sluice.Core.Engine.Diffing;

/// <summary>UUID keys (<see cref="Connectors.NativeKeyType.Uuid"/>) held as their 16 bytes read big-endian: 16 bytes a key.</summary>
internal readonly struct UuidKeyCodec : INativeKeyCodec<UInt128>
{
    /// <summary>PostgreSQL writes a uuid lower-case and hyphenated (8-4-4-4-12), as .NET's "D" format does: only that form.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out UInt128 key)
    {
        key = default;
        if (utf8.Length != 36)
        {
            return false;
        }

        UInt128 value = 0;
        for (var i = 0; i < 36; i++)
        {
            var b = utf8[i];
            if (i is 8 or 13 or 18 or 23)
            {
                if (b != (byte)'-')
                {
                    return false;
                }

                continue;
            }

            uint nibble;
            if ((uint)(b - '0') <= 9)
            {
                nibble = (uint)(b - '0');
            }
            else if ((uint)(b - 'a') <= 5)
            {
                nibble = (uint)(b - 'a' + 10);
            }
            else
            {
                return false;
            }

            value = (value << 4) | nibble;
        }

        key = value;
        return true;
    }

    public static string Format(UInt128 key)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, key);
        return new Guid(bytes, bigEndian: true).ToString("D");
    }

    public static UInt128 From(UInt128 key) => key;
}
