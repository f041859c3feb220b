using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>Everything one emulator instance shares between its endpoints.</summary>
internal sealed class SalesforceState
{
    private readonly Queue<RecordedRequest> _log = new();
    private readonly Lock _logLock = new();
    private readonly int _retain;
    private SalesforceFaults _faults;
    private long _requests;
    private long _tokensIssued;
    private long _invalidSessions;
    private long _faultCount;

    public SalesforceState(SalesforceEmulatorOptions options)
    {
        Time = options.TimeProvider;
        Org = new SalesforceOrg(options.Org, Time);
        Tokens = new TokenStore(Org.OrganizationId, Time) { Ttl = options.TokenTtl };
        Usage = new ApiUsage(Org.Definition.DailyApiRequests, Time);
        _faults = new SalesforceFaults(options.Faults);
        _retain = options.RetainRequests;
        Streaming = new Streaming.ChangeEventLog(options.Streaming, Time);
        Org.Committed = Streaming.Publish;
    }

    /// <summary>Change Data Capture: every committed save's change events, retained for replay.</summary>
    public Streaming.ChangeEventLog Streaming { get; }

    public TimeProvider Time { get; }

    public SalesforceOrg Org { get; }

    public TokenStore Tokens { get; }

    public ApiUsage Usage { get; }

    public SalesforceFaults Faults => Volatile.Read(ref _faults);

    /// <summary>Where clients reach the emulator, without a trailing slash (the instance and login URL).</summary>
    public string BaseUrl { get; set; } = "";

    public void SetFaults(SalesforceFaultOptions faults)
    {
        foreach (var (name, rate) in new[]
        {
            ("requestLimitRate", faults.RequestLimitRate), ("serviceUnavailableRate", faults.ServiceUnavailableRate),
            ("lockRowRate", faults.LockRowRate), ("dropConnectionRate", faults.DropConnectionRate), ("slowRate", faults.SlowRate),
            ("commitLagRate", faults.CommitLagRate),
        })
        {
            if (rate is < 0 or > 1 || double.IsNaN(rate))
            {
                throw Sluice.Core.Errors.SluiceException.Config($"The fault rate {name} must be between 0 and 1.");
            }
        }

        if (faults.SlowDelay < TimeSpan.Zero)
        {
            throw Sluice.Core.Errors.SluiceException.Config("The fault slowDelay cannot be negative.");
        }

        if (faults.CommitLag < TimeSpan.Zero)
        {
            throw Sluice.Core.Errors.SluiceException.Config("The fault commitLag cannot be negative.");
        }

        Volatile.Write(ref _faults, new SalesforceFaults(faults));
    }

    /// <summary>The per-record lock fault for the save path: each record draws on its own.</summary>
    public SaveOptions SaveOptions(bool allOrNone, string? userId, string changeOrigin = "")
    {
        var faults = Faults;
        return new SaveOptions
        {
            AllOrNone = allOrNone,
            UserId = userId,
            ChangeOrigin = changeOrigin,
            CommitLag = faults.Draw(faults.Options.CommitLagRate) ? Counted(faults.Options.CommitLag) : null,
            LockFailure = faults.Options.LockRowRate > 0
                ? _ =>
                {
                    var locked = faults.Draw(faults.Options.LockRowRate);
                    if (locked)
                    {
                        Interlocked.Increment(ref _faultCount);
                    }

                    return locked;
                }
            : null,
        };
    }

    private TimeSpan Counted(TimeSpan lag)
    {
        Interlocked.Increment(ref _faultCount);
        return lag;
    }

    public void Record(RecordedRequest request)
    {
        Interlocked.Increment(ref _requests);
        if (request.Fault is not null)
        {
            Interlocked.Increment(ref _faultCount);
        }

        if (request.Status == 401)
        {
            Interlocked.Increment(ref _invalidSessions);
        }

        lock (_logLock)
        {
            _log.Enqueue(request);
            while (_log.Count > _retain)
            {
                _log.Dequeue();
            }
        }
    }

    public void CountToken() => Interlocked.Increment(ref _tokensIssued);

    public IReadOnlyList<RecordedRequest> Log()
    {
        lock (_logLock)
        {
            return [.. _log];
        }
    }

    public SalesforceEmulatorStats Snapshot() => new()
    {
        Requests = Interlocked.Read(ref _requests),
        ApiRequestsUsed = Usage.Used,
        ApiRequestsLimit = Usage.Limit,
        TokensIssued = Interlocked.Read(ref _tokensIssued),
        InvalidSessions = Interlocked.Read(ref _invalidSessions),
        Faults = Interlocked.Read(ref _faultCount),
        Records = Org.Counts(),
    };

    /// <summary>Forgets records, retained change events, the request log, counters and the API usage; tokens stay valid.</summary>
    public void Reset()
    {
        Org.Reset();
        Streaming.Expire();
        Usage.Set(0);
        lock (_logLock)
        {
            _log.Clear();
        }

        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _tokensIssued, 0);
        Interlocked.Exchange(ref _invalidSessions, 0);
        Interlocked.Exchange(ref _faultCount, 0);
    }
}
