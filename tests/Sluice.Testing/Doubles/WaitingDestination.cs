using System.Text;
using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Testing.Doubles;

/// <summary>
/// A destination that answers "waiting" (<see cref="WriteResult.Waiting"/>) for a record while <see cref="WaitsBecause"/>
/// gives a reason — a child whose parent is not there yet — and acknowledges it under the id <c>dest-{key}</c> once it
/// gives none. Each record is encoded with the current <see cref="Version"/> (payload <c>{"key":…,"v":N}</c>, message
/// id <c>m-{key}-v{N}</c>), so a test can tell an old version from a new one. It remembers records (keeps a ledger).
/// </summary>
public sealed class WaitingDestination : IDestination
{
    private readonly Lock _lock = new();
    private readonly List<(string Key, string Payload)> _acknowledged = [];
    private readonly List<string> _offered = [];

    /// <summary>Why a record with this key must wait now; <c>null</c> when it can be written. Default: none waits.</summary>
    public Func<string, string?> WaitsBecause { get; set; } = _ => null;

    /// <summary>The version written into what <see cref="Encode"/> makes from now on.</summary>
    public int Version { get; set; } = 1;

    /// <summary>Every record acknowledged, in order: its key and its payload.</summary>
    public IReadOnlyList<(string Key, string Payload)> Acknowledged
    {
        get
        {
            lock (_lock)
            {
                return [.. _acknowledged];
            }
        }
    }

    /// <summary>The keys of every record written (acknowledged or answered waiting), in order.</summary>
    public IReadOnlyList<string> Offered
    {
        get
        {
            lock (_lock)
            {
                return [.. _offered];
            }
        }
    }

    public string Description => "a destination whose records wait for their parents";

    public MappingShape Shape { get; } = new("waiting", [], []);

    public DestinationLimits Limits { get; } = new(MaxRecords: 100, MaxBatchBytes: 1_000_000, MaxRecordBytes: 10_000, MaxInFlight: 1);

    public bool RemembersRecords => true;

    public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

    public EncodedRecord Encode(Change change, CompiledMapping mapping) =>
        new(change, $"m-{change.Key}-v{Version}", Encoding.UTF8.GetBytes($"{{\"key\":\"{change.Key}\",\"v\":{Version}}}"));

    public Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
    {
        var results = new WriteResult[batch.Count];
        lock (_lock)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var key = batch[i].Change.Key;
                _offered.Add(key);
                if (WaitsBecause(key) is { } reason)
                {
                    results[i] = WriteResult.Waiting(reason);
                }
                else
                {
                    _acknowledged.Add((key, Encoding.UTF8.GetString(batch[i].Payload.Span)));
                    results[i] = WriteResult.Acknowledged($"dest-{key}");
                }
            }
        }

        return Task.FromResult<IReadOnlyList<WriteResult>>(results);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
