using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sluice.Core.Configuration;

namespace Sluice.Server.Tests.Access;

/// <summary><c>server.tls</c>: the ingest listener serves HTTPS with a certificate file (PEM pair or PKCS#12).</summary>
public sealed class IngestTlsTests
{
    [Fact]
    public async Task The_ingest_listener_serves_https_with_a_pem_certificate_and_key()
    {
        var directory = Directory.CreateTempSubdirectory("sluice-tls-").FullName;
        using var certificate = SelfSigned();
        await File.WriteAllTextAsync(Path.Combine(directory, "cert.pem"), certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(directory, "key.pem"), certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

        await using var bed = await AdminServerBed.StartAsync("ingest_tls_pem", "  tls: {certificate: cert.pem, key: key.pem}",
            listen: "https://127.0.0.1:0", configPath: Path.Combine(directory, "sluice.yaml"));

        Assert.Equal("https", bed.Addresses.Ingest.Scheme);
        using var https = AdminServerBed.Client(bed.Addresses.Ingest, Trusting(certificate));
        Assert.Equal("ready\n", await https.GetStringAsync("/readyz"));

        // A client that checks the chain as usual refuses the self-signed certificate: it really is TLS with that certificate.
        using var strict = AdminServerBed.Client(bed.Addresses.Ingest, new SocketsHttpHandler());
        await Assert.ThrowsAsync<HttpRequestException>(() => strict.GetStringAsync("/healthz"));
    }

    [Fact]
    public async Task The_ingest_listener_serves_https_with_a_pfx_file_and_its_password()
    {
        var directory = Directory.CreateTempSubdirectory("sluice-tls-").FullName;
        using var certificate = SelfSigned();
        await File.WriteAllBytesAsync(Path.Combine(directory, "sluice.pfx"), certificate.Export(X509ContentType.Pkcs12, "pfx-password"));

        await using var bed = await AdminServerBed.StartAsync("ingest_tls_pfx", "  tls:\n    certificate: sluice.pfx\n    password: ${PFX_PASSWORD}",
            new Dictionary<string, string> { ["PFX_PASSWORD"] = "pfx-password" }, listen: "https://127.0.0.1:0", configPath: Path.Combine(directory, "sluice.yaml"));

        using var https = AdminServerBed.Client(bed.Addresses.Ingest, Trusting(certificate));
        Assert.Equal("ok\n", await https.GetStringAsync("/healthz"));
    }

    [Fact]
    public async Task Https_without_a_certificate_does_not_start_and_a_missing_certificate_file_is_a_config_error()
    {
        var noCertificate = await Assert.ThrowsAsync<Core.Errors.SluiceException>(async () =>
        {
            await using var bed = await AdminServerBed.StartAsync("ingest_tls_none", listen: "https://127.0.0.1:0");
        });
        Assert.Equal(Core.Errors.ErrorClass.Config, noCertificate.Class);
        Assert.Contains("server.tls", noCertificate.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<ConfigException>(() => TestConfig.Parse(TestConfig.Connections + "server:\n  listen: https://0.0.0.0:7443\n  tls: {certificate: /nonexistent/cert.pem, key: /nonexistent/key.pem}\n"));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));
    }

    /// <summary>A client that trusts exactly <paramref name="certificate"/> (pinned by its thumbprint).</summary>
    private static SocketsHttpHandler Trusting(X509Certificate2 certificate) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.Thumbprint,
        },
    };
}
