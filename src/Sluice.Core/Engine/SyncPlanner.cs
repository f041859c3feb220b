using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Delivery;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.Core.Engine;

/// <summary>
/// A dry run (<c>sluice plan</c>): reads a sync's source from its stored checkpoint, diffs against its stored
/// fingerprints, applies the mode, encodes every record and runs the sync's processors exactly as
/// <see cref="SyncRunner"/> would, and counts the outcome. It never calls <see cref="IDestination.WriteAsync"/> and never writes to the state store.
/// </summary>
/// <remarks>
/// The stored state is read through an <see cref="ISyncStateView"/>, not a lease: taking the run lock would
/// register the sync (a write) and make a scheduled run that starts meanwhile skip its turn. Without the lock,
/// a run committing at the same moment can make the plan a few batches out of date — a plan is a forecast,
/// and the next run diffs afresh anyway.
/// </remarks>
public sealed class SyncPlanner(ISyncStateView state)
{
    /// <summary>Call types counted one by one; the rest (a templated event name with many values) are summed up as "other".</summary>
    private const int MaxCallTypes = 20;

    /// <param name="samples">How many payloads (and dead-letter reasons) to keep; 0 keeps none.</param>
    public async Task<SyncPlan> PlanAsync(SyncDefinition sync, int samples, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(samples);
        // A source that may poll instead of streaming (CDC with fallback: poll) knows which only once connected.
        var schema = sync.Source.MayPoll ? await sync.Source.DiscoverAsync(ct) : null;
        if (sync.Source.Streams)
        {
            // Reading a stream to its end never ends; and what it will send is each change as it arrives.
            throw SluiceException.Config(
                $"sync '{sync.Name}' follows a stream ({sync.Source.Description}) and sends each change as it arrives, so there is no next run to plan; " +
                "`sluice status` shows how far behind it is");
        }

        SyncModes.Check(sync);
        schema ??= await sync.Source.DiscoverAsync(ct);
        var shape = await DestinationShapes.ResolveAsync(sync.Destination, ct);
        var columns = await Processing.ProcessorColumns.CompileAsync(sync.Mapping, schema, shape, sync.Processors, ct);
        var mapping = columns.Mapping;
        var from = await state.LoadCheckpointAsync(sync.Name, ct);
        // As SyncRunner builds it: watched columns come back as Change.Previous, which a transition needs to decide what to send.
        var request = new ReadRequest(columns.SourceColumns, from)
        {
            RecordStates = state.RecordStates(sync.Name),
            Watched = shape.WatchedColumns.Select(c => c.Column).Distinct(StringComparer.Ordinal).ToList(),
        };

        var clock = Stopwatch.StartNew();
        var tally = new Tally(samples, sync.Destination as ICallLabels);
        var on = sync.Options.On;
        // As the run's send stage: the processors decide a batch at a time (their lookups cost one query per batch).
        var pending = new List<EncodedRecord>();
        var processorBatch = Math.Max(1, Math.Min(sync.Options.BatchSize ?? sync.Destination.Limits.MaxRecords, sync.Destination.Limits.MaxRecords));
        await foreach (var change in Diffing.ChangeDiffer.ReadAsync(sync.Source, request, ct))
        {
            if (change.IsProgress)
            {
                continue; // a move of the source's position, no record
            }

            tally.Count(change.Kind);
            // As SyncRunner's produce stage: a change the mode (or the destination) leaves out is neither encoded nor sent.
            if (!RecordEncoder.Sends(sync, change))
            {
                tally.LeftOut++;
                continue;
            }

            if (RecordEncoder.Encode(sync.Destination, mapping, columns.Widen(change), out var refused) is { } encoded)
            {
                if (sync.Processors.Count == 0)
                {
                    tally.Send(encoded);
                    continue;
                }

                pending.Add(encoded);
                if (pending.Count >= processorBatch)
                {
                    await ProcessAsync(sync, mapping, pending, tally, ct);
                }
            }
            else
            {
                tally.Refuse(refused!.RecordKey, refused.Reason);
            }
        }

        if (pending.Count > 0)
        {
            await ProcessAsync(sync, mapping, pending, tally, ct);
        }

        return new SyncPlan(
            sync.Name, sync.Source.Description, sync.Destination.Description, sync.Source.Detects != ChangeKinds.None, on, from is not null,
            tally.Added, tally.Changed, tally.Deleted, tally.Unclassified, tally.WouldSend, tally.LeftOut, tally.WouldDeadLetter,
            tally.CallCounts(), tally.Samples, tally.Refusals, clock.Elapsed)
        {
            WouldQuarantine = tally.WouldQuarantine,
            WouldWait = tally.WouldWait,
            WouldDrop = tally.WouldDrop,
        };
    }

    /// <summary>
    /// Runs the sync's processors over a batch of encoded records, as the run would, and counts what they decide;
    /// they only read (a processor must not write anywhere), so a plan stays a forecast.
    /// </summary>
    private static async Task ProcessAsync(SyncDefinition sync, CompiledMapping mapping, List<EncodedRecord> batch, Tally tally, CancellationToken ct)
    {
        var (passed, heldBack) = await Processing.ProcessorStage.RunAsync(sync.Name, sync.Processors, batch, ct, mapping.Columns, change =>
        {
            var encoded = RecordEncoder.Encode(sync.Destination, mapping, change, out var refusal);
            return (encoded, refusal?.Reason);
        });
        foreach (var h in heldBack)
        {
            var record = h.Record;
            var reason = $"{h.By.Name}: {h.Decision.Reason ?? "no reason given"}";
            switch (h.Decision.Kind)
            {
                case Processing.ProcessorDecisionKind.Quarantine:
                    tally.Hold(record.Change.Key, $"quarantined — {reason}", quarantine: true);
                    break;
                case Processing.ProcessorDecisionKind.Defer:
                    tally.Hold(record.Change.Key, $"waiting — {reason}", quarantine: false);
                    break;
                default:
                    tally.WouldDrop++;
                    break;
            }
        }

        foreach (var record in passed)
        {
            tally.Send(record);
        }

        batch.Clear();
    }

    /// <summary>
    /// The call a payload makes, read from its top-level <c>type</c> (and <c>event</c>) properties as in the
    /// Segment Spec (<c>{"type":"track","event":"Order Completed",…}</c>); "record" for a payload without them.
    /// </summary>
    internal static string CallOf(ReadOnlySpan<byte> payload)
    {
        string? type = null, name = null;
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return "record";
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                var isEvent = reader.ValueTextEquals("event"u8);
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && (isType || isEvent))
                {
                    if (isType)
                    {
                        type = reader.GetString();
                    }
                    else
                    {
                        name = reader.GetString();
                    }

                    if (type is not null && (name is not null || type != "track"))
                    {
                        break;
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return "record";
        }

        return type is null ? "record" : name is null ? type : $"{type} \"{name}\"";
    }

    /// <summary>The counters of one plan, and the samples it keeps.</summary>
    private sealed class Tally(int keep, ICallLabels? labels)
    {
        private readonly Dictionary<string, long> _calls = new(StringComparer.Ordinal);
        private long _otherCalls;

        public long Added { get; private set; }

        public long Changed { get; private set; }

        public long Deleted { get; private set; }

        public long Unclassified { get; private set; }

        public long WouldSend { get; private set; }

        public long LeftOut { get; set; }

        public long WouldDeadLetter { get; private set; }

        public long WouldQuarantine { get; private set; }

        public long WouldWait { get; private set; }

        public long WouldDrop { get; set; }

        public List<SyncPlan.Sample> Samples { get; } = [];

        public List<SyncPlan.Refusal> Refusals { get; } = [];

        public void Count(ChangeKinds kind)
        {
            switch (kind)
            {
                case ChangeKinds.Added:
                    Added++;
                    break;
                case ChangeKinds.Changed:
                    Changed++;
                    break;
                case ChangeKinds.Deleted:
                    Deleted++;
                    break;
                default:
                    Unclassified++;
                    break;
            }
        }

        public void Send(EncodedRecord record)
        {
            WouldSend++;
            var call = labels is null ? CallOf(record.Payload.Span) : labels.LabelOf(record.Payload.Span) ?? "record";
            if (_calls.TryGetValue(call, out var count) || _calls.Count < MaxCallTypes)
            {
                _calls[call] = count + 1;
            }
            else
            {
                _otherCalls++;
            }

            if (Samples.Count < keep)
            {
                var change = record.Change;
                Samples.Add(new SyncPlan.Sample(change.Key, change.Kind, change.Operation, record.MessageId, Encoding.UTF8.GetString(record.Payload.Span)));
            }
        }

        public void Refuse(string key, string reason)
        {
            WouldDeadLetter++;
            if (Refusals.Count < keep)
            {
                Refusals.Add(new SyncPlan.Refusal(key, reason));
            }
        }

        /// <summary>A record a processor would quarantine or defer: counted, and kept among the refusals with its reason.</summary>
        public void Hold(string key, string reason, bool quarantine)
        {
            if (quarantine)
            {
                WouldQuarantine++;
            }
            else
            {
                WouldWait++;
            }

            if (Refusals.Count < keep)
            {
                Refusals.Add(new SyncPlan.Refusal(key, reason));
            }
        }

        public IReadOnlyList<SyncPlan.Call> CallCounts()
        {
            var calls = _calls.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => new SyncPlan.Call(c.Key, c.Value)).ToList();
            if (_otherCalls > 0)
            {
                calls.Add(new SyncPlan.Call("other", _otherCalls));
            }

            return calls;
        }
    }
}
