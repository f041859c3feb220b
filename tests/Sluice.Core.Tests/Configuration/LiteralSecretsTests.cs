using Sluice.Core.Configuration;

namespace Sluice.Core.Tests.Configuration;

/// <summary><c>sluice check</c> warns about a secret written out in the config file.</summary>
public sealed class LiteralSecretsTests
{
    [Fact]
    public void Literal_secrets_are_found_and_references_are_not()
    {
        var config = SluiceConfig.Parse("""
            connections:
              app: {type: postgres, url: "postgres://sluice:hunter2@db/app"}
              env: {type: postgres, url: "postgres://sluice:${PGPASSWORD}@db/app"}
              segment: {type: segment, write_key: wk_live_literal}
              stored: {type: segment, write_key: "${secret:SEGMENT_WRITE_KEY}"}
              crm:
                type: salesforce
                auth: {flow: refresh_token, client_id: abc, client_secret: shh, refresh_token: "${SF_REFRESH}"}
            """, "sluice.yaml");

        var found = LiteralSecrets.Find(config).Select(e => e.Message).ToList();

        Assert.Equal(3, found.Count);
        Assert.StartsWith("sluice.yaml:2: connections.app.url: 'url' holds a password written out in the URL", found[0], StringComparison.Ordinal);
        Assert.Equal(
            "sluice.yaml:4: connections.segment.write_key: 'write_key' is written out in the config file\n"
            + "  fix: store it with `sluice secrets set SEGMENT_WRITE_KEY` and write 'write_key: ${secret:SEGMENT_WRITE_KEY}' (or take it from an environment variable, ${VAR})",
            found[1]);
        Assert.Contains("connections.crm.auth.client_secret", found[2], StringComparison.Ordinal);
        Assert.Contains("sluice secrets set CRM_CLIENT_SECRET", found[2], StringComparison.Ordinal);
        Assert.All(found, m => Assert.DoesNotContain("hunter2", m, StringComparison.Ordinal));
        Assert.All(found, m => Assert.DoesNotContain("wk_live_literal", m, StringComparison.Ordinal));
    }
}
