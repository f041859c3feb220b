using System.Text.Json;
using Sluice.Core.Checkpoints;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources;

/// <summary>
/// Where a table read stands: the cursor and key values of the last row. They are kept as read and
/// written as text only when a checkpoint is stored, in a form PostgreSQL parses back to the same
/// value through <c>$1::type</c> (see <see cref="PositionText"/>).
/// </summary>
internal sealed class TablePosition(object cursor, object[] key) : SourcePosition
{
    public const string Format = "pg-table";
    public const int Version = 1;

    public string Cursor => PositionText.Format(cursor);

    public string[] Key => Array.ConvertAll(key, PositionText.Format);

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
