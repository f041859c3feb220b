namespace Sluice.Postgres.Cdc;

/// <summary>
/// Remembers, across samples, since when each slot's confirmed position has stood still: a single sample shows how
/// much WAL a slot holds, only a series shows that its reader stopped confirming. Kept by a long-running process
/// (<c>sluice run</c>), which samples on every <c>/metrics</c> scrape.
/// </summary>
public sealed class SlotHealthTracker(TimeProvider time)
{
    private readonly Dictionary<string, (string? Lsn, DateTimeOffset Since)> _confirmed = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Records <paramref name="sample"/>; returns since when its confirmed position has been what it is now, as far as this tracker saw.</summary>
    public DateTimeOffset Observe(string connection, SlotHealthSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var key = connection + "\0" + sample.Slot;
        lock (_gate)
        {
            if (_confirmed.TryGetValue(key, out var seen) && seen.Lsn == sample.ConfirmedFlushLsn)
            {
                return seen.Since;
            }

            var now = time.GetUtcNow();
            _confirmed[key] = (sample.ConfirmedFlushLsn, now);
            return now;
        }
    }
}
