using System.Globalization;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Salesforce.Connection;
using Sluice.Salesforce.Destination;
using Sluice.Salesforce.Source;

namespace Sluice.Salesforce;

/// <summary><c>type: salesforce</c>: an org reached over OAuth 2.0 and REST, written to as a destination and read from as a source (docs/salesforce.md).</summary>
public sealed class SalesforceConnector : IConnector, IHealthReporting, IConnectionCheckInfo
{
    public string Type => "salesforce";

    public async Task CheckConnectionAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct) =>
        _ = await CheckConnectionWithInfoAsync(connection, resources, ct);

    /// <summary>Logs in and reads <c>/limits</c>: the org's remaining daily API requests and what max_daily_share leaves Sluice.</summary>
    public async Task<IReadOnlyList<string>> CheckConnectionWithInfoAsync(ConnectionConfig connection, ConnectorResources resources, CancellationToken ct)
    {
        var client = Client(connection, resources);
        await client.LoginAsync(ct);
        // Also proves the user may read the org's limits, which max_daily_share needs before the first write.
        var usage = await client.LimitsAsync(ct);
        var allowed = (long)Math.Floor(usage.Max * client.Options.MaxDailyShare);
        return
        [
            string.Create(CultureInfo.InvariantCulture,
                $"daily API requests: {usage.Remaining:N0} of {usage.Max:N0} remaining; max_daily_share ({client.Options.MaxDailyShare * 100:0.##}%) leaves Sluice {Math.Max(0, allowed - usage.Used):N0}"),
        ];
    }

    /// <summary>A sync reading an sObject: Bulk API 2.0 load, then polls by (SystemModstamp, Id) with a lookback (docs/salesforce.md).</summary>
    public ISource CreateSource(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) =>
        new SalesforceSource(sync.Name, Client(connection, resources), SalesforceSourceOptions.Bind(sync.Source));

    public IDestination CreateDestination(SyncConfig sync, ConnectionConfig connection, ConnectorResources resources) =>
        new SalesforceDestination(sync.Name, Client(connection, resources), SalesforceDestinationOptions.Bind(sync.Destination));

    public RateLimitOptions RateLimit(ConnectionConfig connection) => SalesforceConnectionOptions.Bind(connection.Settings, connection.Name).RateLimit;

    /// <summary>The API quota's series: used, the org's limit, and what max_daily_share allows.</summary>
    public IReadOnlyList<HealthMetric> HealthMetrics => ApiQuotaHealth.Metrics;

    public Task<HealthReading> ReadHealthAsync(HealthRequest request, ConnectorResources resources, CancellationToken ct) =>
        ApiQuotaHealth.ReadAsync(request, resources, Client, ct);

    private static SalesforceClient Client(ConnectionConfig connection, ConnectorResources resources) =>
        resources.GetOrCreate(connection.Name, () => new SalesforceClient(SalesforceConnectionOptions.Bind(connection.Settings, connection.Name), resources.Time, credentials: resources.Credentials)
        {
            // Every request counts against the connection's budget, shared by all syncs and processes.
            Gate = resources.GateOf is { } gateOf ? () => gateOf(connection.Name) : null,
        });
}
