namespace Sluice.Core.Configuration;

/// <summary>
/// <c>state:</c>, where Sluice keeps its own tables (checkpoints, ledger, queues).
/// </summary>
/// <param name="Connection">A declared postgres connection; null means the first postgres connection in the file.</param>
/// <param name="Schema">The schema of Sluice's tables; default <c>sluice</c>.</param>
public sealed record StateConfig(string? Connection, string Schema, ConfigLocation Location)
{
    public const string DefaultSchema = "sluice";
}
