using System.Security.Cryptography;
using Sluice.Core.Configuration;

namespace Sluice.Salesforce.Connection;

/// <summary>A connection's <c>auth:</c>: which OAuth flow and the secrets it needs, each from <c>${…}</c>.</summary>
public sealed class SalesforceAuthOptions
{
    public required SalesforceAuthFlow Flow { get; init; }

    /// <summary>The connected app's consumer key (<c>client_id</c>).</summary>
    public required string ClientId { get; init; }

    /// <summary>The consumer secret; not needed by the JWT bearer flow.</summary>
    public Secret? ClientSecret { get; init; }

    /// <summary>JWT bearer and password flows: the integration user's username.</summary>
    public string? Username { get; init; }

    /// <summary>Password flow: the password with the security token appended.</summary>
    public Secret? Password { get; init; }

    /// <summary>Refresh-token flow: the refresh token.</summary>
    public Secret? RefreshToken { get; init; }

    /// <summary>JWT bearer flow: the PEM text of the private key (from <c>private_key</c> or read from <c>private_key_file</c>).</summary>
    public Secret? PrivateKey { get; init; }

    /// <summary>JWT bearer flow: the <c>aud</c> claim. Default: the login URL (<c>https://login.salesforce.com</c>, or <c>https://test.salesforce.com</c> for sandboxes).</summary>
    public string? Audience { get; init; }

    private const string FlowFix = "use 'flow: client_credentials', 'flow: jwt_bearer', 'flow: refresh_token' or 'flow: password'";

    public static SalesforceAuthOptions Bind(ConfigSection auth)
    {
        var flow = auth.GetEnum<SalesforceAuthFlow>("flow")
            ?? throw new ConfigException(auth.LocationOf("flow"), "missing required key 'flow'", FlowFix);
        var clientId = auth.RequireString("client_id",
            "set it to the connected app's consumer key: 'client_id: ${SALESFORCE_CLIENT_ID}' (Setup → App Manager → your app → View → Consumer Key)");
        var options = flow switch
        {
            SalesforceAuthFlow.ClientCredentials => new SalesforceAuthOptions
            {
                Flow = flow,
                ClientId = clientId,
                ClientSecret = RequireSecret(auth, "client_secret", "the connected app's consumer secret: 'client_secret: ${SALESFORCE_CLIENT_SECRET}'"),
            },
            SalesforceAuthFlow.Password => new SalesforceAuthOptions
            {
                Flow = flow,
                ClientId = clientId,
                ClientSecret = RequireSecret(auth, "client_secret", "the connected app's consumer secret: 'client_secret: ${SALESFORCE_CLIENT_SECRET}'"),
                Username = auth.RequireString("username", "set the integration user's username: 'username: integration@example.com'"),
                Password = RequireSecret(auth, "password", "the user's password followed by its security token: 'password: ${SALESFORCE_PASSWORD}'"),
            },
            SalesforceAuthFlow.RefreshToken => new SalesforceAuthOptions
            {
                Flow = flow,
                ClientId = clientId,
                ClientSecret = auth.GetSecret("client_secret"),
                RefreshToken = RequireSecret(auth, "refresh_token", "the refresh token issued to the integration user: 'refresh_token: ${SALESFORCE_REFRESH_TOKEN}'"),
            },
            _ => new SalesforceAuthOptions
            {
                Flow = flow,
                ClientId = clientId,
                Username = auth.RequireString("username", "set the integration user's username (the JWT's 'sub'): 'username: integration@example.com'"),
                PrivateKey = ReadPrivateKey(auth),
                Audience = auth.GetString("audience"),
            },
        };

        auth.RejectUnknownKeys(flow == SalesforceAuthFlow.JwtBearer ? ["private_key", "private_key_file"] : []);
        return options;
    }

    private static Secret RequireSecret(ConfigSection auth, string key, string fix) =>
        auth.GetSecret(key) ?? throw new ConfigException(auth.LocationOf(key), $"missing required key '{key}'", "set " + fix);

    private static Secret ReadPrivateKey(ConfigSection auth)
    {
        const string Fix = "give the connected app certificate's private key as PEM: 'private_key: ${SALESFORCE_PRIVATE_KEY}' or 'private_key_file: /run/secrets/salesforce.key'";
        var inline = auth.GetSecret("private_key");
        var file = auth.GetString("private_key_file");
        if (inline is not null && file is not null)
        {
            throw new ConfigException(auth.LocationOf("private_key_file"), "both 'private_key' and 'private_key_file' are set", "keep one of them");
        }

        string pem;
        if (inline is not null)
        {
            pem = inline.Reveal();
        }
        else if (file is not null)
        {
            try
            {
                pem = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException(auth.LocationOf("private_key_file"), $"cannot read the private key file '{file}': {e.Message}",
                    "point it at a PEM file the sluice user can read");
            }
        }
        else
        {
            throw new ConfigException(auth.Location, "the JWT bearer flow needs a private key", Fix);
        }

        // Checked now so a bad key is a config error at start, not a failed login later; the text is never quoted.
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (ArgumentException)
        {
            throw new ConfigException(auth.LocationOf(inline is not null ? "private_key" : "private_key_file"),
                "the private key is not an RSA key in PEM form ('-----BEGIN PRIVATE KEY-----' or '-----BEGIN RSA PRIVATE KEY-----')", Fix);
        }

        return new Secret(pem);
    }
}
