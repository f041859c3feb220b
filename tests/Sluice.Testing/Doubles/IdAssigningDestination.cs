using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Testing.Doubles;

/// <summary>
/// A destination that gives records ids of its own, as Salesforce gives a new record its Id: a record sent without a
/// known id (<see cref="EncodedRecord.KnownDestinationId"/>) is created under a new id — unless its message id was seen
/// before (a resend, deduplicated as an upsert by external id would be), which answers the id given then; a record sent
/// with a known id is updated under it. Every record it is handed is recorded (<see cref="Received"/>).
/// </summary>
/// <remarks>Its payload is the record's values, so that a changed record has a new message id.</remarks>
public class IdAssigningDestination : IDestination
{
    private readonly ConcurrentDictionary<string, string> _byMessageId = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<ReceivedRecord> _received = new();
    private int _next;

    public IdAssigningDestination(DestinationLimits? limits = null)
    {
        Limits = limits ?? new DestinationLimits(MaxRecords: 100, MaxBatchBytes: 1_000_000, MaxRecordBytes: 10_000, MaxInFlight: 2);
    }

    public string Description => "id-assigning test destination";

    /// <summary>It creates ids the sync must remember, and updates records by them.</summary>
    public bool RemembersRecords => true;

    public MappingShape Shape { get; } = new("Test",
        [
            new MappingTarget("id", IsObject: false, Required: true, "the record id"),
            new MappingTarget("email", IsObject: false, Required: false, "an email"),
        ],
        []);

    public DestinationLimits Limits { get; }

    /// <summary>Every record handed to a write, in order, with the id it came with.</summary>
    public IReadOnlyList<ReceivedRecord> Received => [.. _received];

    /// <summary>Records created (a new id given).</summary>
    public int Created => _next;

    /// <summary>The ids given, by record key.</summary>
    public IReadOnlyDictionary<string, string> IdsByKey =>
        _received.Where(r => r.AnsweredId is not null).GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Last().AnsweredId!, StringComparer.Ordinal);

    /// <summary>Called at the start of every write (to make the process "die" mid-run).</summary>
    public Action<IReadOnlyList<EncodedRecord>>? BeforeWrite { get; set; }

    public Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

    public EncodedRecord Encode(Change change, CompiledMapping mapping)
    {
        var values = string.Join("|", change.Values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)));
        return new EncodedRecord(change, $"{change.Key}:{values}", Encoding.UTF8.GetBytes(values));
    }

    public Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<EncodedRecord> batch, CancellationToken ct)
    {
        BeforeWrite?.Invoke(batch);
        var results = new WriteResult[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var record = batch[i];
            var id = record.KnownDestinationId
                ?? _byMessageId.GetOrAdd(record.MessageId, _ => $"D{Interlocked.Increment(ref _next).ToString("D6", CultureInfo.InvariantCulture)}");
            _received.Enqueue(new ReceivedRecord(record.Change.Key, record.MessageId, record.KnownDestinationId, id));
            results[i] = WriteResult.Acknowledged(id);
        }

        return Task.FromResult<IReadOnlyList<WriteResult>>(results);
    }

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A record an <see cref="IdAssigningDestination"/> was handed: its key, message id, the id it came with and the id answered.</summary>
public sealed record ReceivedRecord(string Key, string MessageId, string? KnownId, string? AnsweredId);
