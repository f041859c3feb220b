namespace Sluice.Core.Engine.Processing;

/// <summary>What becomes of a record a processor saw. See <see cref="ProcessorDecision"/>.</summary>
public enum ProcessorDecisionKind
{
    Pass,
    Quarantine,
    Drop,
    Defer,
}
