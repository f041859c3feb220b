using System.Text.Json;
using Sluice.Core.Checkpoints;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources;

/// <summary>
/// The checkpoint of a diffing source. A run always reads the whole query and compares it with the stored
/// fingerprints, which are the real progress (they move with each acknowledged batch); the checkpoint only
/// marks that the sync has diffed before, and keeps the last key a run handled, for people reading it.
/// </summary>
internal sealed class QueryPosition(string lastKey) : SourcePosition
{
    public const string Format = "pg-diff";
    public const int Version = 1;

    public string LastKey { get; } = lastKey;

    public override Checkpoint ToCheckpoint() =>
        new(Format, Version, JsonSerializer.Serialize(new Stored(LastKey), QueryPositionJson.Default.Stored));

    /// <summary>Accepts only a checkpoint a diffing source wrote (a table's means the sync changed kind).</summary>
    public static void Validate(Checkpoint checkpoint, string sourceDescription)
    {
        if (checkpoint.Format != Format || checkpoint.Version > Version)
        {
            throw SluiceException.Fatal(
                $"{sourceDescription}: the stored checkpoint ({checkpoint.Format} v{checkpoint.Version}) was not written by a diffing source (did the sync change from 'cursor:' to a diff?); run with --full to start over");
        }
    }

    internal sealed record Stored(string LastKey);
}
