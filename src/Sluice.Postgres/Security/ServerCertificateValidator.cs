using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Npgsql;
using Sluice.Core.Errors;

namespace Sluice.Postgres.Security;

/// <summary>
/// <c>ssl_mode: verify-ca</c> and <c>verify-full</c>: checks the server's certificate chain (against
/// <c>ssl_root_cert</c>, else this machine's CAs) and, for <c>verify-full</c>, that it names the host we dialled.
/// </summary>
/// <remarks>
/// We check rather than leave it to the driver so that a failure says which of the two checks failed: the
/// driver only reports "the remote certificate was rejected". A failure throws from inside the TLS handshake;
/// <see cref="PostgresErrors.Translate"/> finds our exception under the driver's.
/// </remarks>
internal sealed class ServerCertificateValidator
{
    private readonly string _host;
    private readonly SslMode _mode;
    private readonly string? _rootCertificatePath;
    private readonly X509Certificate2Collection? _roots;
    private readonly string _what;

    public ServerCertificateValidator(string host, SslMode mode, string? rootCertificatePath, string what)
    {
        _host = host;
        _mode = mode;
        _rootCertificatePath = rootCertificatePath;
        _what = what;
        if (rootCertificatePath is not null)
        {
            _roots = [];
            _roots.ImportFromPemFile(rootCertificatePath);
        }
    }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var problem = Problem(certificate, chain, errors);
        // Throwing rather than returning false carries the reason out of the handshake.
        return problem is null ? true : throw SluiceException.Fatal($"{_what}: {problem}");
    }

    private string? Problem(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is not X509Certificate2 server)
        {
            return "the server sent no TLS certificate; configure ssl_cert_file on the server, or use ssl_mode: require";
        }

        if (!ChainIsTrusted(server, chain, errors, out var why))
        {
            return _rootCertificatePath is null
                ? $"the server's certificate is not signed by a CA this machine trusts ({why}); put the CA that issued it in ssl_root_cert"
                : $"the server's certificate is not signed by the CA in ssl_root_cert {_rootCertificatePath} ({why}); give the CA that issued the server's certificate in ssl_root_cert";
        }

        if (_mode == SslMode.VerifyFull && !server.MatchesHostname(_host))
        {
            return $"the server's certificate is not issued for host '{_host}' (it names {string.Join(", ", NamesIn(server))}); set 'host:' to a name the certificate lists, or use ssl_mode: verify-ca to skip the host name check";
        }

        return null;
    }

    private bool ChainIsTrusted(X509Certificate2 server, X509Chain? presented, SslPolicyErrors errors, out string why)
    {
        if (_roots is null)
        {
            why = Status(presented?.ChainStatus ?? []);
            return (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        // Private CAs rarely publish revocation lists; libpq does not check them either unless told to.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var trusted = chain.Build(server);
        why = Status(chain.ChainStatus);
        return trusted;
    }

    private static string Status(X509ChainStatus[] status) =>
        status.Length == 0 ? "no details" : string.Join("; ", status.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());

    private static IEnumerable<string> NamesIn(X509Certificate2 certificate)
    {
        var names = new List<string>();
        if (certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault() is { } san)
        {
            names.AddRange(san.EnumerateDnsNames());
            names.AddRange(san.EnumerateIPAddresses().Select(ip => ip.ToString()));
        }

        if (names.Count == 0)
        {
            names.Add(certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        }

        return names.Select(n => $"'{n}'");
    }
}
