using System.Globalization;
using System.Runtime.CompilerServices;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Tests.Diffing;

/// <summary>
/// A source that cannot sort its keys, as an HTTP API cannot: rows held in memory (id → email, plan), yielded whole
/// on every read in a new random order, for the engine to diff (<see cref="KeyOrder.Unsorted"/>).
/// </summary>
internal sealed class ShuffledSource : ISource
{
    private static readonly SourceSchema Schema = new("shuffled", [new SourceColumn("id", "bigint", ColumnType.Integer, IsNullable: false), new SourceColumn("email", "text", ColumnType.Text, IsNullable: false), new SourceColumn("plan", "text", ColumnType.Text, IsNullable: false)], ["id"]);

    private readonly Dictionary<string, (string Email, string Plan)> _rows = new(StringComparer.Ordinal);
    private readonly Random _random = new(20240229);

    public ShuffledSource(int count)
    {
        for (var id = 1; id <= count; id++)
        {
            Set(id, $"user{id}@example.com", "free");
        }
    }

    /// <summary>Throws once this many records have been yielded (a connection lost mid-read); <c>null</c>: never.</summary>
    public int? FailAfter { get; set; }

    /// <summary>A key yielded a second time, last (an API that pages over a moving result).</summary>
    public int? Repeat { get; set; }

    /// <summary>Records yielded by the read under way so far.</summary>
    public int Yielded { get; private set; }

    public string Description => "shuffled test source";

    public SourceDiff Diff { get; } = new(KeyOrder.Unsorted, key => new Position(key));

    public void Set(int id, string email, string plan) => _rows[Key(id)] = (email, plan);

    public void Remove(int id) => _rows.Remove(Key(id));

    public static string Key(int id) => id.ToString(CultureInfo.InvariantCulture);

    public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

    public Task<SourceSchema> DiscoverAsync(CancellationToken ct) => Task.FromResult(Schema);

    public Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct) => Task.FromResult<long?>(null);

    public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var keys = _rows.Keys.ToArray();
        _random.Shuffle(keys);
        if (Repeat is { } repeat)
        {
            keys = [.. keys, Key(repeat)];
        }

        Yielded = 0;
        foreach (var key in keys)
        {
            if (Yielded++ == FailAfter)
            {
                throw new IOException("connection reset by the test");
            }

            await Task.Yield();
            var (email, plan) = _rows[key];
            var values = request.Columns.Select(column => column switch
            {
                "id" => (object?)long.Parse(key, CultureInfo.InvariantCulture),
                "email" => email,
                "plan" => plan,
                _ => throw new InvalidOperationException($"no column '{column}'"),
            }).ToArray();
            yield return new Change(key, ChangeOperation.Upsert, values, new Position(key))
            {
                Watched = request.Watched.Count == 0 ? null : request.Watched.ToDictionary(c => c, c => (string?)(c == "plan" ? plan : email), StringComparer.Ordinal),
            };
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Position(string key) : SourcePosition
    {
        public override Checkpoint ToCheckpoint() => new("test-shuffled", 1, key);
    }
}
