using System.Globalization;
using System.Runtime.CompilerServices;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Records;

namespace Sluice.Testing.Doubles;

/// <summary>
/// A source of bare keys (one text column, the key) in the order given, each an upsert with no values: for tests whose
/// subject is what the engine or the state store does with records, not what they hold. Every read starts over.
/// </summary>
public sealed class KeyListSource(IReadOnlyList<string> keys) : ISource
{
    public string Description => "a list of keys";

    public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

    public Task<SourceSchema> DiscoverAsync(CancellationToken ct) => Task.FromResult(new SourceSchema("keys", [new SourceColumn("key", "text", ColumnType.Text, IsNullable: false)], ["key"]));

    public Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct) => Task.FromResult<long?>(keys.Count);

    public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            yield return new Change(keys[i], ChangeOperation.Upsert, [], new Position(i));
        }

        await Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Position(int index) : SourcePosition
    {
        public override Checkpoint ToCheckpoint() => new("list", 1, index.ToString(CultureInfo.InvariantCulture));
    }
}
