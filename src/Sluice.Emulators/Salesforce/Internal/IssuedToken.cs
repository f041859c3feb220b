namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>An access token the emulator issued, and whose session it opens.</summary>
internal sealed record IssuedToken(string AccessToken, string UserId, string ClientId, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);
