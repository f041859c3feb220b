namespace Sluice.Testing.Fuzz;

/// <summary>One Segment call inside a <see cref="HostileRequest"/>: its type and the messageId it was sent with.</summary>
public sealed record HostileCall(string Type, string MessageId);
