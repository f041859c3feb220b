namespace Sluice.Emulators.Salesforce;

/// <summary>Counters since start or the last reset.</summary>
public sealed class SalesforceEmulatorStats
{
    /// <summary>Requests answered, all endpoints but the admin API.</summary>
    public long Requests { get; init; }

    /// <summary>Requests counted against the daily API limit in the current 24-hour window.</summary>
    public int ApiRequestsUsed { get; init; }

    /// <summary>The daily API limit.</summary>
    public int ApiRequestsLimit { get; init; }

    /// <summary>Tokens issued by the OAuth and SOAP login endpoints.</summary>
    public long TokensIssued { get; init; }

    /// <summary>Requests answered 401 INVALID_SESSION_ID.</summary>
    public long InvalidSessions { get; init; }

    /// <summary>Injected faults (whole requests and single records).</summary>
    public long Faults { get; init; }

    /// <summary>Live records per object.</summary>
    public IReadOnlyDictionary<string, int> Records { get; init; } = new Dictionary<string, int>();
}
