using System.Buffers.Binary;

namespace Sluice.Core.Engine.Diffing;

/// <summary>UUID keys (<see cref="Connectors.NativeKeyType.Uuid"/>) held as their 16 bytes read big-endian: 16 bytes a key.</summary>
internal readonly struct UuidKeyCodec : INativeKeyCodec<UInt128>
{
    public static bool TryParse(string text, out UInt128 key)
    {
        // PostgreSQL writes a uuid lower-case and hyphenated (8-4-4-4-12), as .NET's "D" format does.
        if (text.Length == 36 && Guid.TryParseExact(text, "D", out var guid) && string.Equals(guid.ToString("D"), text, StringComparison.Ordinal))
        {
            Span<byte> bytes = stackalloc byte[16];
            guid.TryWriteBytes(bytes, bigEndian: true, out _);
            key = BinaryPrimitives.ReadUInt128BigEndian(bytes);
            return true;
        }

        key = default;
        return false;
    }

    public static string Format(UInt128 key)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, key);
        return new Guid(bytes, bigEndian: true).ToString("D");
    }

    public static UInt128 From(UInt128 key) => key;
}
