using System.Diagnostics;

namespace Sluice.Testing;

/// <summary>Polls for a condition, the way tests wait for another process or thread: never a fixed sleep.</summary>
public static class Eventually
{
    /// <summary>The default limit: generous, since the suite runs in parallel on small, loaded machines. A safety net, not a timing assertion.</summary>
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(90);

    /// <summary>Returns once <paramref name="condition"/> holds; fails naming <paramref name="what"/> (and <paramref name="state"/>, if given) after <paramref name="limit"/>.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? limit = null, Func<string>? state = null)
    {
        var deadline = limit ?? DefaultLimit;
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed >= deadline)
            {
                Xunit.Assert.Fail($"never happened within {deadline.TotalSeconds:0} s: {what}{(state is null ? "" : $" ({state()})")}");
            }

            await Task.Delay(20);
        }
    }

    /// <inheritdoc cref="HoldsAsync(Func{Task{bool}}, string, TimeSpan?, Func{string}?)"/>
    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? limit = null, Func<string>? state = null) =>
        HoldsAsync(() => Task.FromResult(condition()), what, limit, state);
}
