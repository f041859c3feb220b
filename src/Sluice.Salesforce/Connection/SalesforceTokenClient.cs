using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;

namespace Sluice.Salesforce.Connection;

/// <summary>
/// Asks <c>{login_url}/services/oauth2/token</c> for an access token by the configured flow. Parameters go in the
/// form body, as jsforce sends them; a refusal (400 <c>{"error","error_description"}</c>) is a fatal error that
/// names the connection and the likely fix, never the secrets. A refresh token that Salesforce rotates (the answer
/// carries a new <c>refresh_token</c> and the one sent is dead) is kept in <paramref name="credentials"/>, encrypted,
/// and used by the next process in preference to the configured one (see <see cref="RefreshTokens"/>).
/// </summary>
internal sealed class SalesforceTokenClient(SalesforceConnectionOptions options, HttpClient http, TimeProvider time, IConnectionCredentials? credentials = null)
{
    // Salesforce's default session timeout is 2 h (configurable up to 24 h) and the token response does not say it;
    // logging in again after 1 h 45 min stays inside the default, and a 401 covers an org that set it shorter.
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(105);

    private readonly Uri _tokenUrl = new(options.LoginUrl, "/services/oauth2/token");
    private readonly RefreshTokens _refreshTokens = new(options, credentials);

    /// <summary>Logs in by the configured flow. Callers send one request at a time (the client's refresh gate).</summary>
    public async Task<SalesforceToken> RequestAsync(CancellationToken ct)
    {
        if (options.Auth.Flow != SalesforceAuthFlow.RefreshToken)
        {
            return (await RequestAsync(null, ct)).Token!;
        }

        var sent = await _refreshTokens.CurrentAsync(ct);
        var (token, rotated, refused) = await RequestAsync(sent, ct, tolerateInvalidGrant: true);
        if (refused is not null)
        {
            // Another process may have used the token first and had it rotated: the one it stored is the live one.
            if (await _refreshTokens.StoredAfterRefusalAsync(sent, ct) is not { } stored)
            {
                throw refused;
            }

            sent = stored;
            (token, rotated, _) = await RequestAsync(sent, ct);
        }

        if (rotated is not null && rotated != sent.Reveal())
        {
            await _refreshTokens.RotatedAsync(new Secret(rotated), ct);
        }

        return token!;
    }

    private async Task<(SalesforceToken? Token, string? RefreshToken, SluiceException? Refused)> RequestAsync(Secret? refreshToken, CancellationToken ct, bool tolerateInvalidGrant = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _tokenUrl) { Content = new FormUrlEncodedContent(Parameters(refreshToken)) };
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw SluiceException.Transient($"Salesforce connection '{options.Name}': cannot reach {_tokenUrl.GetLeftPart(UriPartial.Authority)} to log in: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw SluiceException.Transient($"Salesforce connection '{options.Name}': no answer from the token endpoint within {http.Timeout.TotalSeconds:0} s", e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if ((int)response.StatusCode >= 500)
            {
                throw SluiceException.Transient($"Salesforce connection '{options.Name}': the token endpoint answered {(int)response.StatusCode}");
            }

            JsonElement body;
            try
            {
                body = JsonDocument.Parse(text).RootElement;
            }
            catch (JsonException)
            {
                throw SluiceException.Fatal($"Salesforce connection '{options.Name}': {_tokenUrl} answered {(int)response.StatusCode} with something other than JSON; check 'login_url'");
            }

            if (!response.IsSuccessStatusCode)
            {
                var error = body.TryGetProperty("error", out var e) ? e.GetString() : null;
                var description = body.TryGetProperty("error_description", out var d) ? d.GetString() : null;
                var refusal = SluiceException.Fatal($"Salesforce connection '{options.Name}': login by {FlowName} refused: {error}: {description}\n  fix: {Fix(error, description)}");
                if (tolerateInvalidGrant && error == "invalid_grant")
                {
                    return (null, null, refusal);
                }

                throw refusal;
            }

            var token = body.TryGetProperty("access_token", out var t) ? t.GetString() : null;
            var instance = options.InstanceUrl
                ?? (body.TryGetProperty("instance_url", out var i) && Uri.TryCreate(i.GetString(), UriKind.Absolute, out var url) ? url : null);
            if (string.IsNullOrEmpty(token) || instance is null)
            {
                throw SluiceException.Fatal($"Salesforce connection '{options.Name}': the token response has no access_token or instance_url");
            }

            var lifetime = body.TryGetProperty("expires_in", out var expires) && expires.ValueKind == JsonValueKind.Number && expires.GetInt32() > 120
                ? TimeSpan.FromSeconds(expires.GetInt32() - 60)
                : DefaultLifetime;
            var rotated = body.TryGetProperty("refresh_token", out var r) && r.ValueKind == JsonValueKind.String && r.GetString() is { Length: > 0 } next ? next : null;
            return (new SalesforceToken(new Secret(token), instance, time.GetUtcNow() + lifetime), rotated, null);
        }
    }

    private string FlowName => options.Auth.Flow switch
    {
        SalesforceAuthFlow.ClientCredentials => "client credentials",
        SalesforceAuthFlow.JwtBearer => "JWT bearer",
        SalesforceAuthFlow.RefreshToken => "refresh token",
        _ => "username and password",
    };

    private string Fix(string? error, string? description) => (error, options.Auth.Flow) switch
    {
        ("invalid_client_id", _) => "check 'auth.client_id': it must be the connected app's consumer key",
        ("invalid_client", _) => "check 'auth.client_secret': it must be the connected app's consumer secret",
        ("unsupported_grant_type", _) => "enable the flow on the connected app (Setup → App Manager → your app → Edit Policies)",
        ("invalid_grant", SalesforceAuthFlow.Password) => "check 'auth.username' and 'auth.password' (the password followed by the security token) and that the app allows OAuth username-password flows",
        ("invalid_grant", SalesforceAuthFlow.JwtBearer) when description?.Contains("approved", StringComparison.OrdinalIgnoreCase) == true =>
            "pre-authorize the user: Permitted Users = 'Admin approved users are pre-authorized' and the user's profile or permission set added to the app",
        ("invalid_grant", SalesforceAuthFlow.JwtBearer) => "check 'auth.username', that the certificate uploaded to the connected app matches 'auth.private_key', and 'login_url' (login or test)",
        ("invalid_grant", SalesforceAuthFlow.RefreshToken) =>
            "the refresh token was revoked or expired: issue a new one and update 'auth.refresh_token' (when the app rotates refresh tokens, "
            + "Sluice keeps the rotated one in the state store under the master key: give the same master key to every process)",
        ("invalid_grant", SalesforceAuthFlow.ClientCredentials) => "set a Run As user on the connected app and use the org's My Domain URL as 'login_url'",
        _ => "check the connection's 'auth' settings against the connected app (docs/salesforce.md, \"Connection\")",
    };

    private IEnumerable<KeyValuePair<string, string>> Parameters(Secret? refreshToken)
    {
        var auth = options.Auth;
        switch (auth.Flow)
        {
            case SalesforceAuthFlow.ClientCredentials:
                yield return new("grant_type", "client_credentials");
                break;
            case SalesforceAuthFlow.Password:
                yield return new("grant_type", "password");
                yield return new("username", auth.Username!);
                yield return new("password", auth.Password!.Reveal());
                break;
            case SalesforceAuthFlow.RefreshToken:
                yield return new("grant_type", "refresh_token");
                yield return new("refresh_token", (refreshToken ?? auth.RefreshToken!).Reveal());
                break;
            case SalesforceAuthFlow.JwtBearer:
                yield return new("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
                yield return new("assertion", Assertion());
                yield break;
        }

        yield return new("client_id", auth.ClientId);
        if (auth.ClientSecret is { } secret)
        {
            yield return new("client_secret", secret.Reveal());
        }
    }

    /// <summary>The RS256 JWT Salesforce's bearer flow wants: <c>iss</c> consumer key, <c>sub</c> user, <c>aud</c> login URL, <c>exp</c>.</summary>
    private string Assertion()
    {
        var auth = options.Auth;
        var header = Base64Url("""{"alg":"RS256"}"""u8);
        var claims = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = auth.ClientId,
            ["sub"] = auth.Username!,
            ["aud"] = auth.Audience ?? options.LoginUrl.GetLeftPart(UriPartial.Authority),
            ["exp"] = time.GetUtcNow().AddMinutes(3).ToUnixTimeSeconds(),
        });
        var signingInput = header + "." + Base64Url(claims);
        using var rsa = RSA.Create();
        rsa.ImportFromPem(auth.PrivateKey!.Reveal());
        var signature = rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
