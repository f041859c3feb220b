namespace Sluice.Core.Configuration;

/// <summary>
/// <c>server.tls:</c>, the certificate the ingest listener serves HTTPS with: a PEM certificate (chain) and its PEM
/// key, or a PKCS#12 (<c>.pfx</c>/<c>.p12</c>) file with its password. Paths are full (relative ones were read from the
/// config file's directory) and existed when the config was loaded.
/// </summary>
/// <param name="Certificate">The certificate file (<c>certificate:</c>): PEM, or PKCS#12 when <paramref name="Key"/> is null.</param>
/// <param name="Key">The PEM private key (<c>key:</c>); null for a PKCS#12 file.</param>
/// <param name="Password">The PKCS#12 file's password, or the PEM key's when it is encrypted (<c>password:</c>).</param>
public sealed record ServerTlsConfig(string Certificate, string? Key, Secret? Password, ConfigLocation Location);
