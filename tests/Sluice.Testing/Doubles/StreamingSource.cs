using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Records;

namespace Sluice.Testing.Doubles;

/// <summary>
/// A source that never ends, like a replication slot: the test pushes changes (key <c>"i"</c>, position <c>i</c>) and
/// sees which checkpoints the engine confirmed back through <see cref="ISource.CommittedAsync"/>.
/// </summary>
public sealed class StreamingSource : ISource
{
    private readonly Channel<int> _pushed = Channel.CreateUnbounded<int>();
    private readonly List<Checkpoint> _confirmed = [];
    private int _waits;

    public string Description => "fake stream public.users";

    public bool Streams => true;

    public IReadOnlyList<Checkpoint> Confirmed
    {
        get
        {
            lock (_confirmed)
            {
                return [.. _confirmed];
            }
        }
    }

    public void Push(params int[] offsets)
    {
        foreach (var offset in offsets)
        {
            _pushed.Writer.TryWrite(offset);
        }
    }

    public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

    public Task<SourceSchema> DiscoverAsync(CancellationToken ct) => Task.FromResult(FakeSource.Schema);

    public Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct) => Task.FromResult<long?>(null);

    /// <summary>How many times the source has started waiting for a push (it does after each change it hands over).</summary>
    public int Waits => Volatile.Read(ref _waits);

    public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        while (true)
        {
            if (!_pushed.Reader.TryRead(out var i))
            {
                Interlocked.Increment(ref _waits);
                i = await _pushed.Reader.ReadAsync(ct);
            }

            var values = request.Columns.Select(column => column switch
            {
                "id" => (object?)(long)i,
                "email" => $"user{i}@example.com",
                "name" => $"User {i}",
                _ => throw new InvalidOperationException($"no column '{column}'"),
            }).ToArray();
            yield return new Change(i.ToString(System.Globalization.CultureInfo.InvariantCulture), ChangeOperation.Upsert, values, new TestPosition(i));
        }
    }

    public ValueTask CommittedAsync(Checkpoint checkpoint, CancellationToken ct)
    {
        lock (_confirmed)
        {
            _confirmed.Add(checkpoint);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
