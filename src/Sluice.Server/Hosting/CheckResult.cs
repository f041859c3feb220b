namespace Sluice.Server.Hosting;

/// <summary>One line of <c>sluice check</c>: what was checked and, when it failed, why.</summary>
public sealed record CheckResult(string What, string? Problem)
{
    public bool Ok => Problem is null;
}
