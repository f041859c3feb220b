using System.Security.Cryptography;
using System.Text;
using Sluice.Core.Errors;

namespace Sluice.State.Secrets;

/// <summary>
/// AES-256-GCM over one secret's value (format 1): a random 96-bit nonce per encryption (never reused under a key:
/// at 2^32 values per key the chance of a repeat stays negligible, and secrets are few), the 128-bit tag appended to
/// the ciphertext, the secret's name as associated data so that a value copied to another name fails to decrypt.
/// </summary>
internal static class SecretCipher
{
    public const int Format = 1;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    public static (byte[] Nonce, byte[] Ciphertext) Encrypt(MasterKey key, string name, string value)
    {
        var plaintext = Encoding.UTF8.GetBytes(value);
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        var sealedValue = new byte[plaintext.Length + TagBytes];
        using var aes = new AesGcm(key.Bytes, TagBytes);
        aes.Encrypt(nonce, plaintext, sealedValue.AsSpan(0, plaintext.Length), sealedValue.AsSpan(plaintext.Length), AssociatedData(name));
        CryptographicOperations.ZeroMemory(plaintext);
        return (nonce, sealedValue);
    }

    public static string Decrypt(MasterKey key, string name, byte[] nonce, byte[] sealedValue)
    {
        if (nonce.Length != NonceBytes || sealedValue.Length < TagBytes)
        {
            throw SluiceException.Fatal($"secret '{name}' is damaged in the state store (nonce or tag missing); set it again with `sluice secrets set {name}`");
        }

        var plaintext = new byte[sealedValue.Length - TagBytes];
        try
        {
            using var aes = new AesGcm(key.Bytes, TagBytes);
            aes.Decrypt(nonce, sealedValue.AsSpan(0, plaintext.Length), sealedValue.AsSpan(plaintext.Length), plaintext, AssociatedData(name));
            return Encoding.UTF8.GetString(plaintext);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw SluiceException.Fatal(
                $"secret '{name}' does not decrypt under {key}, the key it says it was stored with: the stored value was altered or moved from another name; "
                + $"set it again with `sluice secrets set {name}`");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static byte[] AssociatedData(string name) => Encoding.UTF8.GetBytes("sluice-secret:v1:" + name);
}
