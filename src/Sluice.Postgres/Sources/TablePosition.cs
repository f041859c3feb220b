using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources;

/// <summary>
/// Where a table read stands: the cursor and key values of the last row. They are kept as read and
/// written as text only when a checkpoint is stored, in a form PostgreSQL parses back to the same
/// value through <c>$1::type</c> (see <see cref="PositionText"/>). A backfill's position also carries
/// its <see cref="Range"/>, stored with it (an additive field: a sync's own checkpoints do not have it).
/// </summary>
internal sealed class TablePosition : SourcePosition
{
    public const string Format = "pg-table";
    public const int Version = 1;

    private readonly object _cursor;

    // The key's one value, or its values (object[]) for a key of several columns: a table sync holds a position per row
    // read until its batch commits, and most keys are one column, so no array is kept for them.
    private readonly object _key;
    private readonly bool _composite;

    public TablePosition(object cursor, object[] key)
    {
        _cursor = cursor;
        _key = key.Length == 1 ? key[0] : key;
        _composite = key.Length != 1;
    }

    private TablePosition(object cursor, object key, SourceRange? range)
    {
        _cursor = cursor;
        _key = key;
        Range = range;
    }

    /// <summary>The position of a row whose key is one column: its cursor and key values as read, and the backfill's range.</summary>
    public static TablePosition OfSingleKey(object cursor, object key, SourceRange? range) => new(cursor, key, range);

    public string Cursor => PositionText.Format(_cursor);

    public string[] Key => _composite ? Array.ConvertAll((object[])_key, PositionText.Format) : [PositionText.Format(_key)];

    /// <summary>The backfill range this position belongs to; <c>null</c> for a sync's own reads.</summary>
    public SourceRange? Range { get; init; }

    public override Checkpoint ToCheckpoint() =>
        new(Format, Version, JsonSerializer.Serialize(
            new Stored(Cursor, Key) { Range = Range is { } r ? new StoredRange(r.ByKey ? "key" : "cursor", r.Column, r.From, r.To) : null },
            TablePositionJson.Default.Stored));

    /// <summary>For messages: <c>cursor 2024-03-02 10:00:00+00, key 4711</c>.</summary>
    public string Describe() => $"cursor {Cursor}, key {string.Join(", ", Key)}";

    public static TablePosition FromCheckpoint(Checkpoint checkpoint, string syncDescription)
    {
        if (checkpoint.Format != Format || checkpoint.Version != Version)
        {
            throw SluiceException.Fatal($"{syncDescription}: the stored checkpoint ({checkpoint.Format} v{checkpoint.Version}) was not written by a table source; run with --full to start over");
        }

        var stored = JsonSerializer.Deserialize(checkpoint.Value, TablePositionJson.Default.Stored)
            ?? throw SluiceException.Fatal($"{syncDescription}: the stored checkpoint is empty; run with --full to start over");
        return new TablePosition(stored.Cursor, stored.Key)
        {
            Range = stored.Range is { } r ? new SourceRange(r.By == "key", r.From, r.To) { Column = r.Column } : null,
        };
    }

    internal sealed record Stored(string Cursor, string[] Key)
    {
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public StoredRange? Range { get; init; }
    }

    /// <summary>A backfill's range as stored: <c>by</c> is <c>cursor</c> or <c>key</c>; bounds in PostgreSQL's text form.</summary>
    internal sealed record StoredRange(string By, string? Column, string? From, string? To);
}
