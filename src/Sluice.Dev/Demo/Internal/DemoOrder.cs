namespace Sluice.Dev.Demo.Internal;

internal readonly record struct DemoOrder(
    long Id, long UserId, decimal Amount, string Currency, string Status, DateTime CreatedAt, DateTime UpdatedAt);
