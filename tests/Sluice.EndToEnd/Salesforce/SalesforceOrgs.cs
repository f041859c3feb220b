using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.EndToEnd.Salesforce;

/// <summary>A Salesforce emulator in the test's process, and the <c>type: salesforce</c> connection the binary reaches it by.</summary>
internal static class SalesforceOrgs
{
    /// <summary>The default org with <c>External_Id__c</c> on Account and Contact.</summary>
    /// <param name="rotateRefreshTokens">Each refresh answers a new refresh token and invalidates the one sent.</param>
    public static Task<SalesforceEmulator> StartAsync(bool rotateRefreshTokens = false)
    {
        var org = OrgDefinition.Default();
        foreach (var name in new[] { "Account", "Contact" })
        {
            org.Objects[name] = new ObjectDefinition
            {
                Fields = new() { ["External_Id__c"] = new FieldDefinition { Type = "string", Length = 40, ExternalId = true, Unique = true } },
            };
        }

        return SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions { Port = 0, Org = org, RotateRefreshTokens = rotateRefreshTokens });
    }

    /// <summary>A connection <c>crm</c> (indented for a <c>connections:</c> block) logging in as the emulator's user.</summary>
    public static string Connection(SalesforceEmulator emulator, string extra = "") => $"""

          crm:
            type: salesforce
            login_url: {emulator.InstanceUrl}
            auth:
              flow: password
              client_id: sluice-client
              client_secret: sluice-secret
              username: admin@sluice.test
              password: sluice
        {extra}
        """;
}
