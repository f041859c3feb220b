using System.Text.Json;
using Sluice.Core.Connectors;
using Sluice.Salesforce.Connection;
using Sluice.Salesforce.Destination;

namespace Sluice.Salesforce.Tests;

public sealed class WireFormatTests
{
    [Fact]
    public void Api_usage_is_read_from_Sforce_Limit_Info_and_not_from_the_per_app_figure()
    {
        Assert.Equal(new ApiUsage(18, 5000), ApiUsage.Parse("api-usage=18/5000"));
        Assert.Equal(new ApiUsage(18, 5000), ApiUsage.Parse("per-app-api-usage=17/250(appName=sample); api-usage=18/5000"));
        Assert.Null(ApiUsage.Parse("per-app-api-usage=17/250(appName=sample)"));
        Assert.Equal(4982, new ApiUsage(18, 5000).Remaining);
    }

    private static WriteResult Settle(string json) => SalesforceDestination.Settle(JsonDocument.Parse(json).RootElement);

    [Fact]
    public void A_saved_record_is_acknowledged_with_its_Salesforce_Id()
    {
        var result = Settle("""{"id":"001000000000001AAA","success":true,"errors":[],"created":true}""");
        Assert.Equal(WriteStatus.Ok, result.Status);
        Assert.Equal("001000000000001AAA", result.DestinationId);
    }

    [Fact]
    public void A_refused_record_keeps_Salesforces_status_code_and_message()
    {
        var result = Settle("""{"success":false,"errors":[{"statusCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [LastName]","fields":["LastName"]}]}""");
        Assert.Equal(WriteStatus.Rejected, result.Status);
        Assert.Equal("REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]", result.Reason);
    }

    [Fact]
    public void A_locked_row_is_sent_again()
    {
        var result = Settle("""{"success":false,"errors":[{"statusCode":"UNABLE_TO_LOCK_ROW","message":"unable to obtain exclusive access to this record","fields":[]}]}""");
        Assert.Equal(WriteStatus.Retry, result.Status);
    }

    [Fact]
    public void A_missing_parent_says_the_record_waits_for_it()
    {
        var result = Settle("""{"success":false,"errors":[{"statusCode":"INVALID_CROSS_REFERENCE_KEY","message":"invalid cross reference id","fields":[]}]}""");
        Assert.StartsWith("waiting for its parent: INVALID_CROSS_REFERENCE_KEY", result.Reason);
    }
}
