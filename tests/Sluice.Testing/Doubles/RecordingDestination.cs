using System.Collections.Concurrent;
using System.Text;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Testing.Doubles;

/// <summary>
/// A destination that acknowledges everything and records every record it was sent, duplicates included. Message ids
/// follow Segment's rule: the change's version when it has one, its content otherwise.
/// </summary>
public sealed class RecordingDestination : IDestination
{
    private static readonly ConfigLocation Location = new("test.yaml", 1, 1, "syncs.s.destination");

    public ConcurrentQueue<(string MessageId, string Key, ChangeKinds Kind)> Received { get; } = new();

    public string Description => "recording destination";

    public MappingShape Shape { get; } = new("Recording", [], []) { ExtraColumns = [("id", Location), ("seats", Location)] };

    public DestinationLimits Limits { get; } = new(MaxRecords: 7, MaxBatchBytes: 100_000, MaxRecordBytes: 1_000, MaxInFlight: 2) { FlushWindow = TimeSpan.FromMilliseconds(20) };

    public bool AcceptsDeletes => true;

    public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

    public EncodedRecord Encode(Change change, CompiledMapping mapping)
    {
        var seats = change.Values[mapping.OrdinalOf("seats")];
        var messageId = change.Version is { } version ? $"v:{version}" : $"c:{change.Key}:{change.Operation}:{seats}";
        return new EncodedRecord(change, messageId, Encoding.UTF8.GetBytes(messageId));
    }

    public Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
    {
        foreach (var record in batch)
        {
            Received.Enqueue((record.MessageId, record.Change.Key, record.Change.Kind));
        }

        return Task.FromResult<IReadOnlyList<WriteResult>>(Enumerable.Repeat(WriteResult.Ok, batch.Count).ToArray());
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
