namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>Draws injected failures from one seeded <see cref="Random"/> (a seed replays the same sequence for the same requests).</summary>
internal sealed class SalesforceFaults(SalesforceFaultOptions options)
{
    private readonly Random _random = options.Seed is { } seed ? new Random(seed) : new Random();
    private readonly Lock _lock = new();

    public SalesforceFaultOptions Options { get; } = options;

    public bool Draw(double rate)
    {
        if (rate <= 0)
        {
            return false;
        }

        lock (_lock)
        {
            return _random.NextDouble() < rate;
        }
    }
}
