using Sluice.Core.Configuration;
using Sluice.Salesforce.Connection;
using Sluice.Salesforce.Destination;

namespace Sluice.Salesforce.Tests;

public sealed class ConnectionOptionsTests
{
    private static readonly Dictionary<string, string> Environment = new() { ["SF_SECRET"] = "s3cret-value", ["SF_PASSWORD"] = "pw+token" };

    private static SalesforceConnectionOptions Bind(string yaml) => SalesforceConnectionOptions.Bind(ConfigSection.Parse(yaml, environment: Environment), "sf");

    [Fact]
    public void A_password_connection_to_the_emulator_binds_with_defaults()
    {
        var options = Bind("""
            type: salesforce
            instance_url: http://127.0.0.1:9200
            auth:
              flow: password
              client_id: cid
              client_secret: ${SF_SECRET}
              username: integration@example.com
              password: ${SF_PASSWORD}
            max_daily_share: 25%
            """);
        Assert.Equal(SalesforceAuthFlow.Password, options.Auth.Flow);
        Assert.Equal("62.0", options.ApiVersion);
        Assert.Equal(new Uri("http://127.0.0.1:9200"), options.LoginUrl);
        Assert.Equal(0.25, options.MaxDailyShare);
        Assert.Equal("pw+token", options.Auth.Password!.Reveal());
    }

    [Fact]
    public void A_missing_secret_names_the_key_and_the_fix_without_any_value()
    {
        var e = Assert.Throws<ConfigException>(() => Bind("""
            type: salesforce
            auth:
              flow: client_credentials
              client_id: cid
            """));
        Assert.Contains("auth: missing required key 'client_secret'", e.Message);
        Assert.Contains("fix:", e.Message);
    }

    [Fact]
    public void An_unknown_flow_is_refused_with_the_flows_there_are()
    {
        var e = Assert.Throws<ConfigException>(() => Bind("""
            type: salesforce
            auth: {flow: magic, client_id: cid}
            """));
        Assert.Contains("flow", e.Message);
    }

    [Fact]
    public void A_share_over_everything_is_refused()
    {
        var e = Assert.Throws<ConfigException>(() => Bind("""
            type: salesforce
            max_daily_share: 150%
            auth: {flow: client_credentials, client_id: cid, client_secret: x}
            """));
        Assert.Contains("max_daily_share", e.Message);
    }

    [Fact]
    public void A_JWT_key_that_is_not_PEM_is_a_config_error_that_never_quotes_it()
    {
        var e = Assert.Throws<ConfigException>(() => Bind("""
            type: salesforce
            auth:
              flow: jwt_bearer
              client_id: cid
              username: u@example.com
              private_key: ${SF_SECRET}
            """));
        Assert.DoesNotContain("s3cret-value", e.Message);
        Assert.Contains("PEM", e.Message);
    }

    [Fact]
    public void An_upsert_without_an_external_id_is_refused()
    {
        var e = Assert.Throws<ConfigException>(() => SalesforceDestinationOptions.Bind(ConfigSection.Parse("""
            connection: sf
            object: Account
            operation: upsert
            """)));
        Assert.Contains("external_id", e.Message);
    }

    [Fact]
    public void Field_options_carry_value_maps_and_truncation()
    {
        var options = SalesforceDestinationOptions.Bind(ConfigSection.Parse("""
            connection: sf
            object: Account
            external_id: External_Id__c
            fields:
              Type: {values: {trial: Trial, paid: Customer}}
              Description: {truncate: true}
            """));
        Assert.Equal("Customer", options.Fields["Type"].Values["paid"]);
        Assert.True(options.Fields["Description"].Truncate);
        Assert.Equal(2_000, options.BulkThreshold);
    }
}
