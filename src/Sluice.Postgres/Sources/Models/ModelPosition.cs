using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Core.Checkpoints;
using Sluice.Core.Errors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources.Models;

/// <summary>
/// Where a model stands: for each table it follows, the cursor value up to which its changes are reflected in the
/// records committed (<see cref="Cursors"/>, PostgreSQL's text of the value; absent: the table had no row with one yet),
/// when a read of every record last ended (<see cref="ReconciledAt"/>), and, within a read that has not ended, which
/// read it is and the last key it handled (<see cref="Reading"/>). One checkpoint, moved only with the commit.
/// </summary>
internal sealed class ModelPosition : SourcePosition
{
    public const string Format = "pg-model";
    public const int Version = 1;

    /// <summary>Cursor values by table (<c>schema.table</c>), reflected in full.</summary>
    public required IReadOnlyDictionary<string, string> Cursors { get; init; }

    /// <summary>
    /// Each secondary table's count of deleted rows (PostgreSQL's <c>n_tup_del</c>) when the read that ended began; a
    /// count that moved since says rows are gone, whose parents the next read looks for. <c>null</c>: not known yet.
    /// </summary>
    public IReadOnlyDictionary<string, long>? Deletes { get; init; }

    /// <summary>When the last read of every record started; <c>null</c>: never (a model without cursors always reads every record).</summary>
    public DateTimeOffset? ReconciledAt { get; init; }

    /// <summary>The read under way; <c>null</c> once it has ended (the position of a read's end).</summary>
    public ModelRead? Reading
    {
        get => _reading ?? (_readingUpTo is { } read ? read with { After = _after } : null);
        init => _reading = value;
    }

    private ModelRead? _reading;

    // A record's position within a read: the read (shared by its records) and the key, so that a record costs one object.
    private ModelRead? _readingUpTo;
    private string? _after;

    /// <summary>The position just after the record <paramref name="key"/> of <paramref name="read"/> (whose <c>After</c> is ignored).</summary>
    public static ModelPosition Within(ModelPosition from, ModelRead read, string key) =>
        new() { Cursors = from.Cursors, Deletes = from.Deletes, ReconciledAt = from.ReconciledAt, _readingUpTo = read, _after = key };

    public override Checkpoint ToCheckpoint() =>
        new(Format, Version, JsonSerializer.Serialize(
            new Stored(new SortedDictionary<string, string>(Cursors.ToDictionary(), StringComparer.Ordinal), ReconciledAt,
                Reading is { } r ? new StoredRead(r.Whole ? "whole" : "changed", new SortedDictionary<string, string>(r.To.ToDictionary(), StringComparer.Ordinal), r.After) : null)
            {
                Deletes = Deletes is null ? null : new SortedDictionary<string, long>(Deletes.ToDictionary(), StringComparer.Ordinal),
            },
            ModelPositionJson.Default.Stored));

    public static ModelPosition FromCheckpoint(Checkpoint checkpoint, string description)
    {
        if (checkpoint.Format != Format || checkpoint.Version > Version)
        {
            throw SluiceException.Fatal($"{description}: the stored checkpoint ({checkpoint.Format} v{checkpoint.Version}) was not written by a model; run with --full to start over");
        }

        var stored = JsonSerializer.Deserialize(checkpoint.Value, ModelPositionJson.Default.Stored)
            ?? throw SluiceException.Fatal($"{description}: the stored checkpoint is empty; run with --full to start over");
        return new ModelPosition
        {
            Cursors = stored.Cursors ?? new SortedDictionary<string, string>(StringComparer.Ordinal),
            ReconciledAt = stored.ReconciledAt,
            Deletes = stored.Deletes,
            Reading = stored.Reading is { } r ? new ModelRead(r.Kind == "whole", r.To ?? new SortedDictionary<string, string>(StringComparer.Ordinal), r.After) : null,
        };
    }

    internal sealed record Stored(SortedDictionary<string, string>? Cursors, DateTimeOffset? ReconciledAt, StoredRead? Reading)
    {
        /// <summary>Absent from checkpoints written before deletes in secondary tables were followed.</summary>
        public SortedDictionary<string, long>? Deletes { get; init; }
    }

    /// <summary>A read under way: <c>kind</c> is <c>whole</c> (every record) or <c>changed</c> (the records changed up to <c>to</c>).</summary>
    internal sealed record StoredRead(string Kind, SortedDictionary<string, string>? To, string? After);
}
