using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sluice.Testing;

/// <summary>
/// A throwaway certificate authority for TLS tests: a CA, a server certificate it signs for <c>localhost</c>
/// (a DNS name only, so that dialling 127.0.0.1 is a host name mismatch), a client certificate, and an
/// unrelated CA that signed none of them. All written as PEM files into one directory.
/// </summary>
public sealed class TestCertificates
{
    private TestCertificates(string directory) => Directory = directory;

    public string Directory { get; }

    public string CaPath => Path.Combine(Directory, "ca.crt");

    /// <summary>A CA that signed nothing here: verifying the server against it must fail.</summary>
    public string OtherCaPath => Path.Combine(Directory, "other-ca.crt");

    public string ServerCertificatePath => Path.Combine(Directory, "server.crt");

    public string ServerKeyPath => Path.Combine(Directory, "server.key");

    public string ClientCertificatePath => Path.Combine(Directory, "client.crt");

    public string ClientKeyPath => Path.Combine(Directory, "client.key");

    /// <param name="clientName">The client certificate's CN: the role it logs in as under <c>cert</c> authentication.</param>
    public static async Task<TestCertificates> WriteAsync(string directory, string clientName)
    {
        System.IO.Directory.CreateDirectory(directory);
        var certificates = new TestCertificates(directory);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = SelfSignedCa("CN=Sluice Test CA", caKey);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = SelfSignedCa("CN=Some Other CA", otherKey);
        await File.WriteAllTextAsync(certificates.CaPath, ca.ExportCertificatePem());
        await File.WriteAllTextAsync(certificates.OtherCaPath, other.ExportCertificatePem());

        await WriteLeafAsync(ca, "CN=localhost", "1.3.6.1.5.5.7.3.1", san: "localhost", certificates.ServerCertificatePath, certificates.ServerKeyPath);
        await WriteLeafAsync(ca, $"CN={clientName}", "1.3.6.1.5.5.7.3.2", san: null, certificates.ClientCertificatePath, certificates.ClientKeyPath);
        return certificates;
    }

    private static X509Certificate2 SelfSignedCa(string subject, ECDsa key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
    }

    private static async Task WriteLeafAsync(X509Certificate2 ca, string subject, string usage, string? san, string certificatePath, string keyPath)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (san is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(san);
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.Create(ca, now.AddDays(-1), now.AddDays(30), serial);
        await File.WriteAllTextAsync(certificatePath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
        // PostgreSQL (and libpq) refuse a private key that others can read.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
