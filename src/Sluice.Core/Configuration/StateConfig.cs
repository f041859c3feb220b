namespace Sluice.Core.Configuration;

/// <summary>
/// <c>state:</c>, where Sluice keeps its own tables (checkpoints, ledger, queues).
/// </summary>
/// <param name="Connection">A declared postgres connection; null means the first postgres connection in the file.</param>
/// <param name="Schema">The schema of Sluice's tables; default <c>sluice</c>.</param>
public sealed record StateConfig(string? Connection, string Schema, ConfigLocation Location)
{
    public const string DefaultSchema = "sluice";

    /// <summary>
    /// <c>state.master_key_file</c>: the file holding the master key secrets are encrypted under (docs/secrets.md), as a
    /// full path (a relative one is taken from the config file's folder); null when not given. <c>SLUICE_MASTER_KEY</c>
    /// and <c>SLUICE_MASTER_KEY_FILE</c> come first.
    /// </summary>
    public string? MasterKeyFile { get; init; }

    /// <summary><c>state.retention:</c>, how long history is kept (docs/retention.md); the defaults when not given.</summary>
    public StateRetention Retention { get; init; } = StateRetention.Default;
}
