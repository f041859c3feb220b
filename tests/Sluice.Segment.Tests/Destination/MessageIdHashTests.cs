using System.Security.Cryptography;
using Sluice.Segment.Destination;

namespace Sluice.Segment.Tests.Destination;

/// <summary>
/// The message id's hash called through OpenSSL directly gives .NET's SHA-256, byte for byte, for every length around
/// SHA-256's 64-byte blocks and its padding boundary (55/56 bytes): a different digest would resend every batch in flight.
/// </summary>
public sealed class MessageIdHashTests
{
    [Fact]
    public void OpenSsl_is_called_directly_on_linux()
    {
        using var hash = new MessageIdHash();

        Assert.Equal(OperatingSystem.IsLinux(), hash.UsesOpenSsl);
    }

    [Fact]
    public void Every_length_hashes_to_the_sha256_of_dotnet()
    {
        using var native = new MessageIdHash();
        using var fallback = new MessageIdHash(native: false);
        var random = new Random(16);
        var data = new byte[1200];
        random.NextBytes(data);
        Span<byte> a = stackalloc byte[32];
        Span<byte> b = stackalloc byte[32];

        for (var length = 0; length <= data.Length; length++)
        {
            var input = data.AsSpan(0, length);
            native.Hash(input, a);
            fallback.Hash(input, b);

            var expected = SHA256.HashData(input);
            Assert.True(expected.AsSpan().SequenceEqual(a), $"OpenSSL's digest differs at length {length}");
            Assert.True(expected.AsSpan().SequenceEqual(b), $"the fallback's digest differs at length {length}");
        }
    }

    [Fact]
    public void One_hash_reused_gives_each_input_its_own_digest()
    {
        using var hash = new MessageIdHash();
        Span<byte> digest = stackalloc byte[32];

        hash.Hash("sync\0key-1\0{\"type\":\"identify\"}"u8, digest);
        var first = digest.ToArray();
        hash.Hash("sync\0key-2\0{\"type\":\"identify\"}"u8, digest);

        Assert.Equal(SHA256.HashData("sync\0key-1\0{\"type\":\"identify\"}"u8), first);
        Assert.Equal(SHA256.HashData("sync\0key-2\0{\"type\":\"identify\"}"u8), digest.ToArray());
    }
}
