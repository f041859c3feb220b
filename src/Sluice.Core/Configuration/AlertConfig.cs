namespace Sluice.Core.Configuration;

/// <summary>
/// One entry of <c>alerts:</c>, as written: its keys are read and checked by the host that evaluates alerts
/// (<c>sluice run</c>, <c>sluice alerts</c>), which names the key and the fix of a wrong one.
/// </summary>
/// <param name="Name">The alert's name (the key under <c>alerts:</c>).</param>
/// <param name="Section">Its keys.</param>
public sealed record AlertConfig(string Name, ConfigSection Section);
