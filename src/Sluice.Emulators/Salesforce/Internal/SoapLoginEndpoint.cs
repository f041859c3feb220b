using System.Globalization;
using System.Security;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// <c>POST /services/Soap/u/{version}</c>, the partner API <c>login</c> call: what jsforce's
/// <c>conn.login(username, password)</c> sends when no OAuth client id and secret are configured (deprecated by
/// Salesforce, retiring with API 65.0). The token it returns works on REST like an OAuth one.
/// </summary>
internal sealed partial class SoapLoginEndpoint(SalesforceState state)
{
    public const string Prefix = "/services/Soap/u/";

    public async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var username = Unescape(UsernameElement().Match(body));
        var password = Unescape(PasswordElement().Match(body));
        var version = context.Request.Path.Value![Prefix.Length..].Trim('/');
        var user = state.Org.Definition.Users.FirstOrDefault(u => u.Username.Equals(username, StringComparison.OrdinalIgnoreCase));
        context.Response.ContentType = "text/xml;charset=UTF-8";
        if (!HttpMethods.IsPost(context.Request.Method) || user is null || !OAuthEndpoint.PasswordMatches(user, password))
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsync(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:sf=\"urn:fault.partner.soap.sforce.com\"><soapenv:Body><soapenv:Fault>"
                + "<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring>"
                + "</soapenv:Fault></soapenv:Body></soapenv:Envelope>",
                context.RequestAborted);
            return;
        }

        var userId = state.Org.UserId(user.Username)!;
        var issued = state.Tokens.Issue(userId, clientId: "soap");
        state.CountToken();
        var serverUrl = $"{state.BaseUrl}/services/Soap/u/{version}/{state.Org.OrganizationId[..15]}";
        var seconds = ((int)state.Tokens.Ttl.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        await context.Response.WriteAsync(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns=\"urn:partner.soap.sforce.com\"><soapenv:Body><loginResponse><result>"
            + $"<metadataServerUrl>{state.BaseUrl}/services/Soap/m/{version}/{state.Org.OrganizationId[..15]}</metadataServerUrl>"
            + "<passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
            + $"<serverUrl>{serverUrl}</serverUrl><sessionId>{issued.AccessToken}</sessionId><userId>{userId}</userId>"
            + $"<userInfo><organizationId>{state.Org.OrganizationId}</organizationId><sessionSecondsValid>{seconds}</sessionSecondsValid>"
            + $"<userEmail>{SecurityElement.Escape(user.Email ?? user.Username)}</userEmail><userId>{userId}</userId><userName>{SecurityElement.Escape(user.Username)}</userName></userInfo>"
            + "</result></loginResponse></soapenv:Body></soapenv:Envelope>",
            context.RequestAborted);
    }

    private static string? Unescape(Match match) =>
        match.Success
            ? match.Groups[1].Value.Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal)
                .Replace("&quot;", "\"", StringComparison.Ordinal).Replace("&apos;", "'", StringComparison.Ordinal).Replace("&amp;", "&", StringComparison.Ordinal)
            : null;

    [GeneratedRegex("<username>([^<]*)</username>")]
    private static partial Regex UsernameElement();

    [GeneratedRegex("<password>([^<]*)</password>")]
    private static partial Regex PasswordElement();
}
