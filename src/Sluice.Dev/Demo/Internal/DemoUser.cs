namespace Sluice.Dev.Demo.Internal;

internal readonly record struct DemoUser(
    long Id,
    long AccountId,
    string Email,
    string FirstName,
    string LastName,
    string Plan,
    string Status,
    DateTime SignupAt,
    DateTime? LastSeenAt,
    decimal LifetimeValue,
    string Country,
    string Attributes,
    string[] Tags,
    DateTime UpdatedAt);
