using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Sluice.Segment.Destination;

/// <summary>
/// SHA-256 of a message id's input, one call per event. On Linux it calls OpenSSL's <c>SHA256_Init</c>,
/// <c>SHA256_Update</c> and <c>SHA256_Final</c> on a context on the stack; elsewhere, or where that libcrypto lacks them,
/// it falls back to <see cref="IncrementalHash"/>. Both give the same digest: only the cost differs.
/// </summary>
/// <remarks>
/// .NET's own hashing reaches OpenSSL through EVP calls that each clear OpenSSL's error queue and reset (free and
/// allocate) the digest's provider state: on a reverse-ETL run that overhead (<c>ERR_clear_error</c>, <c>CRYPTO_free</c>,
/// <c>malloc</c>) took about as many samples as the hashing itself. A managed SHA-256 would be slower still: .NET exposes
/// no SHA instructions, and OpenSSL uses them. The message id cannot change to a cheaper hash: a batch in flight across
/// an upgrade would be resent under new ids, and Segment would not drop it as a duplicate.
/// Not thread-safe: one per encoder.
/// </remarks>
internal sealed partial class MessageIdHash : IDisposable
{
    private const string Library = "sluice-libcrypto";

    // OpenSSL's SHA256_CTX is 112 bytes (eight state words, two length words, sixteen block words, num, md_len).
    private const int ContextBytes = 112;

    private static readonly bool Native = TryNative();

    private readonly IncrementalHash? _fallback;

    public MessageIdHash(bool native = true)
    {
        UsesOpenSsl = native && Native;
        if (!UsesOpenSsl)
        {
            _fallback = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
    }

    /// <summary>Whether this instance calls OpenSSL directly (else <see cref="IncrementalHash"/>).</summary>
    public bool UsesOpenSsl { get; }

    /// <summary>Writes SHA-256 of <paramref name="data"/> into <paramref name="digest"/> (32 bytes).</summary>
    public void Hash(ReadOnlySpan<byte> data, Span<byte> digest)
    {
        if (_fallback is { } hash)
        {
            hash.AppendData(data);
            hash.GetHashAndReset(digest);
            return;
        }

        Span<byte> context = stackalloc byte[ContextBytes + 16];
        if (SHA256_Init(ref MemoryMarshal.GetReference(context)) != 1
            || SHA256_Update(ref MemoryMarshal.GetReference(context), ref MemoryMarshal.GetReference(data), (nuint)data.Length) != 1
            || SHA256_Final(ref MemoryMarshal.GetReference(digest[..32]), ref MemoryMarshal.GetReference(context)) != 1)
        {
            // The low-level calls only fail on a NULL context; this is a defect, not a record to dead-letter.
            throw new CryptographicException("OpenSSL's SHA256 failed");
        }
    }

    public void Dispose() => _fallback?.Dispose();

    /// <summary>Whether libcrypto with the low-level SHA-256 calls is there and gives SHA-256 (checked against a known digest).</summary>
    private static bool TryNative()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            NativeLibrary.SetDllImportResolver(typeof(MessageIdHash).Assembly, Resolve);
            Span<byte> digest = stackalloc byte[32];
            Span<byte> context = stackalloc byte[ContextBytes + 16];
            var input = "abc"u8;
            return SHA256_Init(ref MemoryMarshal.GetReference(context)) == 1
                && SHA256_Update(ref MemoryMarshal.GetReference(context), ref MemoryMarshal.GetReference(input), (nuint)input.Length) == 1
                && SHA256_Final(ref MemoryMarshal.GetReference(digest), ref MemoryMarshal.GetReference(context)) == 1
                && digest.SequenceEqual(SHA256.HashData(input));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            // No libcrypto by these names, one built without the deprecated low-level API, or a resolver already set.
            return false;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library)
        {
            return IntPtr.Zero;
        }

        // The names .NET's own OpenSSL shim tries: OpenSSL 3, then 1.1.
        foreach (var candidate in new[] { "libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so" })
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }

        return IntPtr.Zero;
    }

    [LibraryImport(Library)]
    private static partial int SHA256_Init(ref byte context);

    [LibraryImport(Library)]
    private static partial int SHA256_Update(ref byte context, ref byte data, nuint length);

    [LibraryImport(Library)]
    private static partial int SHA256_Final(ref byte digest, ref byte context);
}
