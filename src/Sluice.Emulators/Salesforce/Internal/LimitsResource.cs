using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary><c>GET /limits</c>: the org's limits; <c>DailyApiRequests</c> follows the emulator's request counter.</summary>
internal sealed class LimitsResource(SalesforceState state) : IRestResource
{
    public IReadOnlyList<string> Names { get; } = ["limits"];

    public Task HandleAsync(RestCall call)
    {
        if (!HttpMethods.IsGet(call.Method) || call.Segments.Count > 1)
        {
            return call.Segments.Count > 1 ? call.NotFoundAsync() : call.MethodNotAllowedAsync("GET", "HEAD");
        }

        var limit = state.Usage.Limit;
        var used = state.Usage.Used;
        return call.JsonAsync(200, new JsonObject
        {
            ["ConcurrentAsyncGetReportInstances"] = Limit(200, 200),
            ["DailyApiRequests"] = Limit(limit, Math.Max(0, limit - used)),
            ["DailyAsyncApexExecutions"] = Limit(250000, 250000),
            ["DailyBulkApiBatches"] = Limit(15000, 15000),
            ["DailyBulkV2QueryFileStorageMB"] = Limit(976562, 976562),
            ["DailyBulkV2QueryJobs"] = Limit(10000, 10000),
            ["DataStorageMB"] = Limit(1024, 1024),
            ["FileStorageMB"] = Limit(1024, 1024),
            ["HourlyTimeBasedWorkflow"] = Limit(1000, 1000),
            ["SingleEmail"] = Limit(5000, 5000),
        });
    }

    private static JsonObject Limit(int max, int remaining) => new() { ["Max"] = max, ["Remaining"] = remaining };
}
