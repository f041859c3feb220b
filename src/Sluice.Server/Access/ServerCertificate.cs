using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;

namespace Sluice.Server.Access;

/// <summary>Loads <c>server.tls</c>: a PEM certificate and key (the key optionally encrypted), or a PKCS#12 file.</summary>
internal static class ServerCertificate
{
    public static X509Certificate2 Load(ServerTlsConfig tls)
    {
        try
        {
            if (tls.Key is null)
            {
                return X509CertificateLoader.LoadPkcs12FromFile(tls.Certificate, tls.Password?.Reveal());
            }

            return tls.Password is { } password
                ? X509Certificate2.CreateFromEncryptedPemFile(tls.Certificate, password.Reveal(), tls.Key)
                : X509Certificate2.CreateFromPemFile(tls.Certificate, tls.Key);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(tls.Location, $"server.tls: the certificate '{tls.Certificate}' could not be loaded: {e.Message.TrimEnd('.')}",
                "give a PEM certificate with its PEM private key ('certificate:', 'key:'), or a .pfx/.p12 file with its 'password:'");
        }
    }
}
