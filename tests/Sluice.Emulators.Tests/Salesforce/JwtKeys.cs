using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>A connected app's key pair and self-signed certificate, and JWT bearer assertions signed with it.</summary>
internal sealed class JwtKeys : IDisposable
{
    public JwtKeys()
    {
        Rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=sluice-jwt-test", Rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        CertificatePem = certificate.ExportCertificatePem();
        PrivateKeyPem = Rsa.ExportPkcs8PrivateKeyPem();
    }

    public RSA Rsa { get; }

    public string CertificatePem { get; }

    public string PrivateKeyPem { get; }

    public string Assertion(string issuer, string subject, string audience, DateTimeOffset expires, RSA? signWith = null)
    {
        var header = Encode(JsonSerializer.SerializeToUtf8Bytes(new { alg = "RS256" }));
        var claims = Encode(JsonSerializer.SerializeToUtf8Bytes(new { iss = issuer, sub = subject, aud = audience, exp = expires.ToUnixTimeSeconds() }));
        var signature = (signWith ?? Rsa).SignData(Encoding.ASCII.GetBytes(header + "." + claims), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return header + "." + claims + "." + Encode(signature);
    }

    public void Dispose() => Rsa.Dispose();

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
