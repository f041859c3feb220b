namespace Sluice.Core.State;

public enum RunKind
{
    /// <summary>From the last checkpoint.</summary>
    Incremental,

    /// <summary>From the beginning (<c>sluice sync --full</c>); message ids stay deterministic, so unchanged records are deduplicated downstream.</summary>
    Full,
}
