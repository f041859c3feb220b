using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// Checks a JWT bearer assertion as Salesforce does: RS256 signed with the key of the connected app named by
/// <c>iss</c>, whose certificate (or public key) the org file holds; <c>sub</c> (or legacy <c>prn</c>, which wins)
/// an existing user; <c>aud</c> the login URL; <c>exp</c> in the future.
/// </summary>
internal static class JwtBearer
{
    private static readonly string[] Audiences = ["https://login.salesforce.com", "https://test.salesforce.com"];

    public sealed record Result(string? Username, ConnectedAppDefinition? App, string? Error, string? Description);

    public static Result Verify(string? assertion, OrgDefinition org, string baseUrl, DateTimeOffset now)
    {
        var parts = assertion?.Split('.') ?? [];
        if (parts.Length != 3)
        {
            return Fail("invalid_grant", "invalid assertion");
        }

        JsonElement header, claims;
        byte[] signature;
        try
        {
            header = JsonDocument.Parse(Base64Url(parts[0])).RootElement;
            claims = JsonDocument.Parse(Base64Url(parts[1])).RootElement;
            signature = Base64Url(parts[2]);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return Fail("invalid_grant", "invalid assertion");
        }

        if (header.ValueKind != JsonValueKind.Object || claims.ValueKind != JsonValueKind.Object || Text(header, "alg") != "RS256")
        {
            return Fail("invalid_grant", "invalid assertion");
        }

        var issuer = Text(claims, "iss");
        var app = org.ConnectedApps.FirstOrDefault(a => a.ClientId == issuer);
        if (app is null)
        {
            return Fail("invalid_client_id", "client identifier invalid");
        }

        if (app.Certificate is null || !SignatureHolds(app.Certificate, parts[0] + "." + parts[1], signature))
        {
            return Fail("invalid_grant", "invalid assertion");
        }

        var audience = Text(claims, "aud")?.TrimEnd('/');
        if (audience is null || !(Audiences.Contains(audience, StringComparer.OrdinalIgnoreCase) || audience.Equals(baseUrl, StringComparison.OrdinalIgnoreCase)))
        {
            return Fail("invalid_grant", "audience is invalid");
        }

        if (!claims.TryGetProperty("exp", out var exp) || exp.ValueKind != JsonValueKind.Number || DateTimeOffset.FromUnixTimeSeconds(exp.GetInt64()) <= now)
        {
            return Fail("invalid_grant", "expired authorization code");
        }

        var username = Text(claims, "prn") ?? Text(claims, "sub");
        var user = org.Users.FirstOrDefault(u => u.Username.Equals(username, StringComparison.OrdinalIgnoreCase));
        if (user is null)
        {
            return Fail("invalid_grant", "invalid assertion");
        }

        if (app.JwtUsers is { } allowed && !allowed.Contains(user.Username, StringComparer.OrdinalIgnoreCase))
        {
            return Fail("invalid_grant", "user hasn't approved this consumer");
        }

        return new Result(user.Username, app, null, null);
    }

    private static bool SignatureHolds(string pem, string signed, byte[] signature)
    {
        using var rsa = PublicKey(pem);
        return rsa is not null && rsa.VerifyData(Encoding.ASCII.GetBytes(signed), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private static RSA? PublicKey(string pem)
    {
        try
        {
            if (pem.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal))
            {
                using var certificate = X509Certificate2.CreateFromPem(pem);
                return certificate.GetRSAPublicKey();
            }

            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return rsa;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        return Convert.FromBase64String(padded);
    }

    private static Result Fail(string error, string description) => new(null, null, error, description);
}
