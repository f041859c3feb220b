namespace Sluice.Core.Engine;

/// <summary>
/// A budget store opened on first use: a host can build its gates before the state store is open, and a
/// destination that never sends never opens it. A failed open is not remembered; the next call tries again.
/// </summary>
public sealed class LazyRateBudgetStore(Func<CancellationToken, Task<IRateBudgetStore>> open) : IRateBudgetStore
{
    private readonly SemaphoreSlim _opening = new(1, 1);
    private IRateBudgetStore? _store;

    public async ValueTask<RateBudgetGrant> TakeAsync(RateBudgetAsk ask, CancellationToken ct) =>
        await (await StoreAsync(ct)).TakeAsync(ask, ct);

    public async ValueTask PauseAsync(string destination, DateTimeOffset until, DateTimeOffset now, CancellationToken ct) =>
        await (await StoreAsync(ct)).PauseAsync(destination, until, now, ct);

    private async ValueTask<IRateBudgetStore> StoreAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _store) is { } store)
        {
            return store;
        }

        await _opening.WaitAsync(ct);
        try
        {
            return _store ??= await open(ct);
        }
        finally
        {
            _opening.Release();
        }
    }
}
