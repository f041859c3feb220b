namespace Sluice.State.Secrets;

/// <summary>What <c>sluice secrets list</c> shows of one secret: never its value.</summary>
/// <param name="Name">The name <c>${secret:NAME}</c> refers to.</param>
/// <param name="KeyId">The master key it is encrypted under (<see cref="MasterKey.Id"/>).</param>
/// <param name="CreatedAt">When it was first set.</param>
/// <param name="UpdatedAt">When its value last changed (set again, or re-encrypted by a rotation).</param>
public sealed record StoredSecret(string Name, string KeyId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
