using System.Text.Json;
using Sluice.Core.Checkpoints;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources;

/// <summary>
/// Where a table read stands: the cursor and key values of the last row, as PostgreSQL's own text
/// (so every type round-trips exactly through <c>$1::type</c>).
/// </summary>
internal sealed class TablePosition(string cursor, string[] key) : SourcePosition
{
    public const string Format = "pg-table";
    public const int Version = 1;

    public string Cursor { get; } = cursor;

    public string[] Key { get; } = key;

    public override Checkpoint ToCheckpoint() =>
        new(Format, Version, JsonSerializer.Serialize(new Stored(Cursor, Key), TablePositionJson.Default.Stored));

    public static TablePosition FromCheckpoint(Checkpoint checkpoint, string syncDescription)
    {
        if (checkpoint.Format != Format || checkpoint.Version != Version)
        {
            throw SluiceException.Fatal($"{syncDescription}: the stored checkpoint ({checkpoint.Format} v{checkpoint.Version}) was not written by a table source; run with --full to start over");
        }

        var stored = JsonSerializer.Deserialize(checkpoint.Value, TablePositionJson.Default.Stored)
            ?? throw SluiceException.Fatal($"{syncDescription}: the stored checkpoint is empty; run with --full to start over");
        return new TablePosition(stored.Cursor, stored.Key);
    }

    internal sealed record Stored(string Cursor, string[] Key);
}
