namespace Sluice.Core.Checkpoints;

/// <summary>
/// How far a sync got, as the source understands it: a cursor and key, an LSN, a queue offset.
/// Opaque to the engine: the source writes it and reads it back. <see cref="Format"/> names the
/// source's encoding and <see cref="Version"/> its revision, so stored checkpoints outlive upgrades
/// (a source reads every version it ever wrote).
/// </summary>
public sealed record Checkpoint(string Format, int Version, string Value)
{
    public override string ToString() => $"{Format}/v{Version}:{Value}";
}
