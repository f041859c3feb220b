using System.Runtime.CompilerServices;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Diffing;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Testing.Doubles;

namespace Sluice.Core.Tests.Engine.Diffing;

/// <summary>
/// A diffed source that streams (a model over CDC): its read of every record is merged with the stored records (deletes
/// found); then each chunk of recomputed records, closed by a progress mark, is compared with the ledger when the mark
/// arrives — unchanged records are not handed on, a delete only for a stored record, at the source's position.
/// </summary>
public sealed class StreamDiffTests
{
    private static readonly string[] Columns = ["id", "total"];

    [Fact]
    public async Task A_streamed_chunk_hands_on_only_what_changed_and_deletes_only_what_was_stored()
    {
        var stored = new Dictionary<string, RecordState>(StringComparer.Ordinal)
        {
            ["b"] = Stored("b", 2),
            ["c"] = Stored("c", 3),
            ["d"] = Stored("d", 4),
        };
        var source = new ScriptedStream(
        [
            // The read of every record: a is new, b and d unchanged, c (stored) no longer there.
            Record("a", 1, 0), Record("b", 2, 0), Record("d", 4, 0), Change.Progress(new TestPosition(1)),
            // A chunk: b changed, d deleted, e deleted but never stored.
            Record("b", 20, 1), Delete("d", 1), Delete("e", 1), Change.Progress(new TestPosition(2)),
            // A chunk whose record is as the ledger holds it: only the mark.
            Record("c", 3, 2), Change.Progress(new TestPosition(3)),
        ]);
        var request = new ReadRequest(Columns, TestPosition.CheckpointAt(0)) { RecordStates = new Reader(stored.Values) };

        var changes = new List<Change>();
        await foreach (var change in ChangeDiffer.ReadAsync(source, request, default, new Lookup(stored)))
        {
            changes.Add(change);
        }

        Assert.Equal(
            ["a Added 0", "c Deleted 0", "progress 1", "b Changed 1", "d Deleted 1", "progress 2", "progress 3"],
            changes.Select(Describe).ToList());
    }

    private static string Describe(Change change) =>
        change.IsProgress ? $"progress {((TestPosition)change.Position).Offset}" : $"{change.Key} {change.Kind} {((TestPosition)change.Position).Offset}";

    private static Change Record(string key, int total, int at) => new(key, ChangeOperation.Upsert, [key, total], new TestPosition(at));

    private static Change Delete(string key, int at) => new(key, ChangeOperation.Delete, new object?[2], new TestPosition(at));

    private static RecordState Stored(string key, int total)
    {
        using var fingerprint = new RecordFingerprint(Columns);
        fingerprint.Compute([key, total]);
        return new RecordState(key, fingerprint.ToArray());
    }

    private sealed class ScriptedStream(IReadOnlyList<Change> script) : ISource
    {
        public string Description => "scripted stream";

        public SourceDiff Diff { get; } = new(KeyOrder.Sorted, _ => new TestPosition(0)) { IsPartial = _ => false };

        public bool Streams => true;

        public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

        public Task<SourceSchema> DiscoverAsync(CancellationToken ct) =>
            Task.FromResult(new SourceSchema("scripted", [new SourceColumn("id", "text", ColumnType.Text, false), new SourceColumn("total", "integer", ColumnType.Integer, true)], ["id"]));

        public Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct) => Task.FromResult<long?>(null);

        public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
        {
            foreach (var change in script)
            {
                await Task.Yield();
                yield return change;
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Reader(IEnumerable<RecordState> stored) : IRecordStateReader
    {
        public async IAsyncEnumerable<RecordState> ReadAsync([EnumeratorCancellation] CancellationToken ct)
        {
            foreach (var state in stored.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                await Task.Yield();
                yield return state;
            }
        }
    }

    /// <summary>The ledger as committed: the test commits nothing, so later chunks see the stored records as they were.</summary>
    private sealed class Lookup(Dictionary<string, RecordState> stored) : IRecordStateLookup
    {
        public Task<IReadOnlyDictionary<string, RecordState>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken ct) =>
            Task.FromResult<IReadOnlyDictionary<string, RecordState>>(keys.Where(stored.ContainsKey).ToDictionary(k => k, k => stored[k], StringComparer.Ordinal));
    }
}
