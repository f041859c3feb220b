namespace Sluice.Server.Hosting;

/// <summary>One line of <c>sluice check</c>: what was checked and, when it failed, why.</summary>
public sealed record CheckResult(string What, string? Problem)
{
    /// <summary>Advice for an item that passed: works, but deserves a look.</summary>
    public IReadOnlyList<string> Advice { get; init; } = [];

    /// <summary>Information about an item that passed (a Salesforce org's remaining daily API requests).</summary>
    public IReadOnlyList<string> Info { get; init; } = [];

    /// <summary>The problem is in the configuration (a misspelt column, a table that is not there): <c>sluice check</c> exits 2 for it, as every command does.</summary>
    public bool IsConfigError { get; init; }

    public bool Ok => Problem is null;
}
