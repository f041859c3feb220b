namespace Sluice.Core.Engine.Processing.Validation;

/// <summary>
/// The values a rule found in its reference column lately: at most <c>size</c>, each for <c>ttl</c>. Only values
/// found are kept, so a reference row added is seen at once; one deleted is seen once its entry expires. When full,
/// it is emptied (simple, bounded, and a full cache means the working set is larger than it anyway). Thread-safe:
/// batches in flight are validated at once.
/// </summary>
internal sealed class FoundValuesCache(int size, TimeSpan ttl, TimeProvider time)
{
    private readonly Dictionary<string, DateTimeOffset> _expiries = new(StringComparer.Ordinal);

    public bool Contains(string value)
    {
        var now = time.GetUtcNow();
        lock (_expiries)
        {
            return _expiries.TryGetValue(value, out var expires) && expires > now;
        }
    }

    public void AddRange(IEnumerable<string> values)
    {
        if (size <= 0)
        {
            return;
        }

        var expires = time.GetUtcNow() + ttl;
        lock (_expiries)
        {
            foreach (var value in values)
            {
                if (_expiries.Count >= size && !_expiries.ContainsKey(value))
                {
                    _expiries.Clear();
                }

                _expiries[value] = expires;
            }
        }
    }
}
