using System.Text;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Testing.Doubles;

/// <summary>
/// A destination that encodes each change as <see cref="PayloadBytes"/> bytes of JSON under the message id
/// <c>msg-{key}</c>, and answers writes with <see cref="OnWrite"/> (default: every record acknowledged).
/// It records every write call, and the order in which they finished.
/// </summary>
public sealed class FakeDestination : IDestination
{
    public static readonly MappingShape FakeShape = new(
        "Fake",
        [
            new MappingTarget("id", IsObject: false, Required: true, "the record id"),
            new MappingTarget("traits", IsObject: true, Required: false, "named values"),
        ],
        []);

    private readonly List<WriteCall> _calls = [];
    private readonly List<int> _finished = [];

    public FakeDestination(DestinationLimits? limits = null)
    {
        Limits = limits ?? new DestinationLimits(MaxRecords: 100, MaxBatchBytes: 100_000, MaxRecordBytes: 1_000, MaxInFlight: 1);
    }

    public string Description => "Fake destination";

    public MappingShape Shape => FakeShape;

    public DestinationLimits Limits { get; }

    /// <summary>Bytes of every encoded record (the JSON is padded with spaces).</summary>
    public int PayloadBytes { get; init; } = 20;

    /// <summary>Whether the destination takes deletes (<c>on: [deleted]</c>); a delete is encoded as <c>{"delete":key}</c>.</summary>
    public bool AcceptsDeletes { get; init; }

    /// <summary>Whether the destination says it writes from payloads alone (<see cref="IDestination.WritesPayloadsOnly"/>; it does).</summary>
    public bool WritesPayloadsOnly { get; init; }

    /// <summary>Keys whose encoding throws a record-rejected error.</summary>
    public IReadOnlySet<string> UnencodableKeys { get; init; } = new HashSet<string>();

    /// <summary>Keys whose encoding throws an <see cref="InvalidOperationException"/>: a destination's bug, not a refusal.</summary>
    public IReadOnlySet<string> CrashingKeys { get; init; } = new HashSet<string>();

    /// <summary>Keys whose encoding is larger than <see cref="DestinationLimits.MaxRecordBytes"/>.</summary>
    public IReadOnlySet<string> OversizedKeys { get; init; } = new HashSet<string>();

    public Func<WriteCall, Task<IReadOnlyList<WriteResult>>> OnWrite { get; set; } = call => Task.FromResult(AllOk(call));

    public IReadOnlyList<WriteCall> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>Indexes of write calls in the order they returned.</summary>
    public IReadOnlyList<int> FinishedCalls
    {
        get
        {
            lock (_calls)
            {
                return [.. _finished];
            }
        }
    }

    public static IReadOnlyList<WriteResult> AllOk(WriteCall call) => Enumerable.Repeat(WriteResult.Ok, call.Records.Count).ToArray();

    public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

    public EncodedRecord Encode(Change change, CompiledMapping mapping)
    {
        if (UnencodableKeys.Contains(change.Key))
        {
            throw new SluiceException(ErrorClass.RecordRejected, $"record {change.Key} cannot be encoded");
        }

        if (CrashingKeys.Contains(change.Key))
        {
            throw new InvalidOperationException($"the encoder tripped over record {change.Key}");
        }

        var id = change.Values[mapping["id"]!.Ordinal];
        var json = change.Operation == ChangeOperation.Delete ? $"{{\"delete\":{change.Key}}}" : $"{{\"id\":{id}}}";
        var size = OversizedKeys.Contains(change.Key) ? Limits.MaxRecordBytes + 1 : PayloadBytes;
        if (json.Length > size)
        {
            throw new InvalidOperationException($"PayloadBytes {size} is too small for {json}");
        }

        return new EncodedRecord(change, $"msg-{change.Key}", Encoding.UTF8.GetBytes(json.PadRight(size)));
    }

    public async Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
    {
        WriteCall call;
        lock (_calls)
        {
            call = new WriteCall(_calls.Count, [.. batch], ct);
            _calls.Add(call);
        }

        var results = await OnWrite(call);
        lock (_calls)
        {
            _finished.Add(call.Index);
        }

        return results;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
