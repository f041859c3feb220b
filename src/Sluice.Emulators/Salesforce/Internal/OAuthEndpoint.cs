using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Org;

using Codes = Sluice.Emulators.Salesforce.Org.StatusCodes;
using HttpStatus = Microsoft.AspNetCore.Http.StatusCodes;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// <c>POST /services/oauth2/token</c> (password, client_credentials, JWT bearer, refresh_token) and
/// <c>/services/oauth2/revoke</c>. Parameters come from the form body or the query string; client credentials
/// also from HTTP Basic. Answers as reference §1.5/§1.6.
/// </summary>
internal sealed class OAuthEndpoint(SalesforceState state, bool rotateRefreshTokens)
{
    // Refresh tokens live in the org definition's dictionaries; a rotation removes one and adds another atomically.
    private readonly Lock _refreshTokens = new();

    public const string TokenPath = "/services/oauth2/token";
    public const string RevokePath = "/services/oauth2/revoke";
    private const string JwtGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    public async Task TokenAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await SalesforceResponses.OAuthErrorAsync(context, "invalid_request", "must use HTTP POST");
            return;
        }

        var form = await ReadParametersAsync(context);
        var grant = form.GetValueOrDefault("grant_type");
        var (clientId, clientSecret) = ClientCredentials(context, form);
        switch (grant)
        {
            case null or "":
                await SalesforceResponses.OAuthErrorAsync(context, "invalid_request", "grant type is missing");
                return;
            case "password":
                await PasswordAsync(context, form, clientId, clientSecret);
                return;
            case "client_credentials":
                await ClientCredentialsAsync(context, clientId, clientSecret);
                return;
            case "refresh_token":
                await RefreshAsync(context, form, clientId, clientSecret);
                return;
            case JwtGrant:
                await JwtAsync(context, form);
                return;
            default:
                await SalesforceResponses.OAuthErrorAsync(context, "unsupported_grant_type", "grant type not supported");
                return;
        }
    }

    public async Task RevokeAsync(HttpContext context)
    {
        var form = await ReadParametersAsync(context);
        if (form.GetValueOrDefault("token") is { Length: > 0 } token && state.Tokens.Revoke(token))
        {
            context.Response.StatusCode = HttpStatus.Status200OK;
            return;
        }

        await SalesforceResponses.OAuthErrorAsync(context, "unsupported_token_type", "this token type is not supported");
    }

    private async Task PasswordAsync(HttpContext context, Dictionary<string, string> form, string? clientId, string? clientSecret)
    {
        if (await AppAsync(context, clientId, clientSecret, requireSecret: true) is not { } app)
        {
            return;
        }

        var user = state.Org.Definition.Users.FirstOrDefault(u => u.Username.Equals(form.GetValueOrDefault("username"), StringComparison.OrdinalIgnoreCase));
        if (!app.AllowPasswordFlow || user is null || !PasswordMatches(user, form.GetValueOrDefault("password")))
        {
            await SalesforceResponses.OAuthErrorAsync(context, "invalid_grant", "authentication failure");
            return;
        }

        await IssueAsync(context, user.Username, app, refreshToken: null);
    }

    private async Task ClientCredentialsAsync(HttpContext context, string? clientId, string? clientSecret)
    {
        if (await AppAsync(context, clientId, clientSecret, requireSecret: true) is not { } app)
        {
            return;
        }

        if (!app.AllowClientCredentials)
        {
            await SalesforceResponses.OAuthErrorAsync(context, "invalid_grant", "client credentials flow is not enabled for this app");
            return;
        }

        var runAs = app.RunAs ?? state.Org.Definition.Users[0].Username;
        if (state.Org.UserId(runAs) is null)
        {
            await SalesforceResponses.OAuthErrorAsync(context, "invalid_grant", "no client credentials user enabled");
            return;
        }

        await IssueAsync(context, runAs, app, refreshToken: null);
    }

    private async Task RefreshAsync(HttpContext context, Dictionary<string, string> form, string? clientId, string? clientSecret)
    {
        if (await AppAsync(context, clientId, clientSecret, requireSecret: false) is not { } app)
        {
            return;
        }

        var token = form.GetValueOrDefault("refresh_token");
        string? username;
        string? rotated = null;
        lock (_refreshTokens)
        {
            if (token is null || !app.RefreshTokens.TryGetValue(token, out username) || state.Org.UserId(username) is null)
            {
                username = null;
            }
            else if (rotateRefreshTokens || app.RotateRefreshTokens)
            {
                // Salesforce with rotation on: a new refresh token with the access token, the one sent invalidated.
                rotated = NewRefreshToken();
                app.RefreshTokens.Remove(token);
                app.RefreshTokens[rotated] = username;
            }
        }

        if (username is null)
        {
            await SalesforceResponses.OAuthErrorAsync(context, "invalid_grant", "expired access/refresh token");
            return;
        }

        await IssueAsync(context, username, app, refreshToken: rotated);
    }

    private async Task JwtAsync(HttpContext context, Dictionary<string, string> form)
    {
        var result = JwtBearer.Verify(form.GetValueOrDefault("assertion"), state.Org.Definition, state.BaseUrl, state.Time.GetUtcNow());
        if (result.Error is { } error)
        {
            await SalesforceResponses.OAuthErrorAsync(context, error, result.Description!);
            return;
        }

        await IssueAsync(context, result.Username!, result.App!, refreshToken: null);
    }

    private async Task<ConnectedAppDefinition?> AppAsync(HttpContext context, string? clientId, string? clientSecret, bool requireSecret)
    {
        var app = state.Org.Definition.ConnectedApps.FirstOrDefault(a => a.ClientId == clientId);
        if (app is null)
        {
            await SalesforceResponses.OAuthErrorAsync(context, "invalid_client_id", "client identifier invalid");
            return null;
        }

        if ((requireSecret || clientSecret is not null) && (app.ClientSecret is null || !FixedTimeEquals(app.ClientSecret, clientSecret)))
        {
            await SalesforceResponses.OAuthErrorAsync(context, "invalid_client", "invalid client credentials");
            return null;
        }

        return app;
    }

    private async Task IssueAsync(HttpContext context, string username, ConnectedAppDefinition app, string? refreshToken)
    {
        var userId = state.Org.UserId(username)!;
        var issued = state.Tokens.Issue(userId, app.ClientId);
        state.CountToken();
        var id = $"{state.BaseUrl}/id/{state.Org.OrganizationId}/{userId}";
        var issuedAt = issued.IssuedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var body = new JsonObject
        {
            ["access_token"] = issued.AccessToken,
            ["instance_url"] = state.BaseUrl,
            ["id"] = id,
            ["token_type"] = "Bearer",
            ["issued_at"] = issuedAt,
            ["signature"] = Signature(id, issuedAt, app.ClientSecret),
            ["scope"] = "api",
        };
        if (refreshToken is not null)
        {
            body["refresh_token"] = refreshToken;
        }

        await SalesforceResponses.JsonAsync(context, HttpStatus.Status200OK, body);
    }

    /// <summary>A refresh token shaped like Salesforce's (<c>5Aep861…</c>, 87 characters), random.</summary>
    private static string NewRefreshToken() =>
        "5Aep861" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(60)).Replace('+', '.').Replace('/', '_').TrimEnd('=');

    /// <summary>The password flow takes the password with the security token appended.</summary>
    public static bool PasswordMatches(UserDefinition user, string? sent) =>
        sent is not null && FixedTimeEquals(user.Password + (user.SecurityToken ?? ""), sent);

    private static string Signature(string id, string issuedAt, string? secret)
    {
        // Salesforce signs id + issued_at with HMAC-SHA256 keyed by the consumer secret.
        var key = Encoding.UTF8.GetBytes(secret ?? "");
        return Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(id + issuedAt)));
    }

    private static bool FixedTimeEquals(string expected, string? actual) =>
        actual is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(actual));

    private static (string? Id, string? Secret) ClientCredentials(HttpContext context, Dictionary<string, string> form)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    return (Uri.UnescapeDataString(pair[..colon]), Uri.UnescapeDataString(pair[(colon + 1)..]));
                }
            }
            catch (FormatException)
            {
                // Not Basic credentials after all: fall back to the form.
            }
        }

        return (form.GetValueOrDefault("client_id"), form.GetValueOrDefault("client_secret"));
    }

    private static async Task<Dictionary<string, string>> ReadParametersAsync(HttpContext context)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in context.Request.Query)
        {
            parameters[key] = value.ToString();
        }

        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            foreach (var (key, value) in form)
            {
                parameters[key] = value.ToString();
            }
        }

        return parameters;
    }
}
