namespace Sluice.Dev.Demo.Internal;

internal readonly record struct DemoAccount(
    long Id, string Name, string Domain, string Plan, int Seats, decimal Mrr, DateTime CreatedAt, DateTime UpdatedAt);
