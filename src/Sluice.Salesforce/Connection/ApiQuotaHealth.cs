using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;

namespace Sluice.Salesforce.Connection;

/// <summary>
/// The health line of a Salesforce connection's API quota, per sync writing through it: the org's daily requests used,
/// its limit, and how many this connection's <c>max_daily_share</c> allows (<c>sluice status</c>, <c>/metrics</c>).
/// </summary>
internal static class ApiQuotaHealth
{
    public static readonly HealthMetric Used = new("sluice_salesforce_api_requests_used", "The org's API requests used in the rolling 24 h, as Salesforce reports them", true);
    public static readonly HealthMetric Max = new("sluice_salesforce_api_requests_max", "The org's daily API request limit (DailyApiRequests)", true);
    public static readonly HealthMetric Allowed = new("sluice_salesforce_api_requests_allowed", "The requests the connection's max_daily_share lets Sluice's syncs reach", true);

    public static IReadOnlyList<HealthMetric> Metrics { get; } = [Used, Max, Allowed];

    public static async Task<HealthReading> ReadAsync(HealthRequest request, ConnectorResources resources, Func<ConnectionConfig, ConnectorResources, SalesforceClient> client, CancellationToken ct)
    {
        var reports = new List<HealthReport>();
        var syncProblems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var connection in request.Config.Connections.Where(c => c.Type == "salesforce"))
        {
            var syncs = request.Config.Syncs.Where(s => s.DestinationConnection == connection.Name).Select(s => s.Name).ToList();
            if (syncs.Count == 0)
            {
                continue;
            }

            ApiUsage usage;
            SalesforceClient sf;
            try
            {
                sf = client(connection, resources);
                // A process that is sending reads the header of every answer; asking /limits costs a request of its own.
                usage = request.Watching && sf.Usage is { } known ? known : await sf.LimitsAsync(ct);
            }
            catch (SluiceException e)
            {
                foreach (var sync in syncs)
                {
                    syncProblems[sync] = $"Salesforce API quota of connection '{connection.Name}' unknown: {e.Message}";
                }

                continue;
            }

            var allowed = (long)Math.Floor(usage.Max * sf.Options.MaxDailyShare);
            var (state, text) = usage.Used >= allowed ? (HealthState.Critical, "STOPPED")
                : usage.Used >= allowed * 0.8 ? (HealthState.Warning, "WARN")
                : (HealthState.Ok, "OK");
            foreach (var sync in syncs)
            {
                KeyValuePair<string, string>[] labels = [new("sync", sync), new("connection", connection.Name)];
                IReadOnlyList<string> messages = state == HealthState.Ok ? [] :
                [
                    $"connection '{connection.Name}': the org has used {usage.Used:N0} of {usage.Max:N0} daily API requests and max_daily_share allows {allowed:N0}; " +
                    (state == HealthState.Critical ? "writes stop until the 24 h window frees requests" : "writes stop when it is reached") +
                    " (raise 'max_daily_share' if the org can spare more)",
                ];
                reports.Add(new HealthReport(sync, $"api quota ({connection.Name})", state, text,
                    [new HealthLine(Used.Name, labels, usage.Used), new HealthLine(Max.Name, labels, usage.Max), new HealthLine(Allowed.Name, labels, allowed)],
                    messages,
                    new { connection = connection.Name, used = usage.Used, max = usage.Max, allowed, remaining = usage.Remaining }));
            }
        }

        return new HealthReading(reports, syncProblems, []);
    }
}
