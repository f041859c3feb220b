namespace Sluice.Dev.Demo.Internal;

/// <summary>
/// SplitMix64, seeded per row from (dataset seed, stream, row id). Every row is a pure function of
/// its id, so a table can be regenerated row by row (orders re-derive their user) and the output does
/// not depend on the .NET version the way <see cref="Random"/>'s algorithms may.
/// </summary>
internal struct DemoRandom
{
    private ulong _state;

    private DemoRandom(ulong state)
    {
        _state = state;
    }

    public static DemoRandom For(int seed, DemoStream stream, long id) =>
        new(Finalize(Finalize(((ulong)(uint)seed << 8) | (byte)stream) ^ (ulong)id));

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Finalize(_state);
    }

    /// <summary>Uniform in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive) => (int)(((NextUInt64() >> 32) * (ulong)maxExclusive) >> 32);

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="maxInclusive"/>].</summary>
    public int Next(int min, int maxInclusive) => min + Next(maxInclusive - min + 1);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public bool Chance(double probability) => NextDouble() < probability;

    public T Pick<T>(T[] items) => items[Next(items.Length)];

    private static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
