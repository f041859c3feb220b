namespace Sluice.Salesforce.Connection;

/// <summary>The OAuth 2.0 flow a <c>type: salesforce</c> connection logs in with (<c>auth.flow</c>).</summary>
public enum SalesforceAuthFlow
{
    /// <summary><c>grant_type=client_credentials</c>: the connected app's "Run As" user; needs the org's My Domain URL.</summary>
    ClientCredentials,

    /// <summary><c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer</c>: an RS256 assertion signed with the app's private key.</summary>
    JwtBearer,

    /// <summary><c>grant_type=refresh_token</c>: a refresh token issued once to the integration user.</summary>
    RefreshToken,

    /// <summary><c>grant_type=password</c>: username and password plus security token (sandboxes, the emulator).</summary>
    Password,
}
