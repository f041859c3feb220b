namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// The org's daily API request counter, a rolling 24-hour window like Salesforce's: each counted request
/// leaves the count 24 hours after it was made.
/// </summary>
internal sealed class ApiUsage(int limit, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(24);
    private readonly Queue<DateTimeOffset> _requests = new();
    private readonly Lock _lock = new();

    public int Limit { get; set; } = limit;

    public int Used
    {
        get
        {
            lock (_lock)
            {
                Expire();
                return _requests.Count;
            }
        }
    }

    /// <summary>Counts one request unless the limit is reached; false means answer 403 REQUEST_LIMIT_EXCEEDED.</summary>
    public bool TryCount(out int used)
    {
        lock (_lock)
        {
            Expire();
            if (_requests.Count >= Limit)
            {
                used = _requests.Count;
                return false;
            }

            _requests.Enqueue(time.GetUtcNow());
            used = _requests.Count;
            return true;
        }
    }

    /// <summary>Sets the used count (admin API), as if that many requests were made just now.</summary>
    public void Set(int used)
    {
        lock (_lock)
        {
            _requests.Clear();
            var now = time.GetUtcNow();
            for (var i = 0; i < used; i++)
            {
                _requests.Enqueue(now);
            }
        }
    }

    private void Expire()
    {
        var cutoff = time.GetUtcNow() - Window;
        while (_requests.Count > 0 && _requests.Peek() <= cutoff)
        {
            _requests.Dequeue();
        }
    }
}
