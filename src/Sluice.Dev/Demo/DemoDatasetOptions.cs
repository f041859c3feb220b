namespace Sluice.Dev.Demo;

/// <summary>What <see cref="DemoDataset.CreateAsync"/> loads.</summary>
public sealed class DemoDatasetOptions
{
    /// <summary>Rows in <c>users</c>. <c>accounts</c> gets one row per ten users (rounded up). Default 10,000.</summary>
    public int Users { get; init; } = 10_000;

    /// <summary>Average orders per user (each user has 0 to twice this many). 0 leaves <c>orders</c> empty. Default 3.</summary>
    public int OrdersPerUser { get; init; } = 3;

    /// <summary>The same seed gives the same rows, on every machine. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Schema for the tables; created when missing. Default <c>public</c>.</summary>
    public string Schema { get; init; } = "public";

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Users);
        ArgumentOutOfRangeException.ThrowIfNegative(OrdersPerUser);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(OrdersPerUser, 1_000);
        ArgumentException.ThrowIfNullOrWhiteSpace(Schema);
    }
}
