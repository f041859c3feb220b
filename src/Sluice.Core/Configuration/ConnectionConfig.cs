namespace Sluice.Core.Configuration;

/// <summary>
/// One entry of <c>connections:</c>. <see cref="Type"/> is its <c>type:</c> in lower case
/// (<c>postgres</c>, <c>segment</c>, …); the connector reads its own keys from
/// <see cref="Settings"/> (the whole mapping, <c>type</c> included and already marked as read)
/// and then calls <see cref="ConfigSection.RejectUnknownKeys()"/>.
/// </summary>
public sealed record ConnectionConfig(string Name, string Type, ConfigSection Settings, ConfigLocation Location);
