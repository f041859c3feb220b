using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Engine.Processing;
using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Testing.Doubles;
using static Sluice.Core.Tests.Engine.SyncHarness;

namespace Sluice.Core.Tests.Engine;

/// <summary>
/// The processor stage between encoding and delivery: a batch at a time, each record passed, quarantined, dropped or
/// deferred, while the rest of the batch flows; and <c>max_rejected</c>, which stops a run that rejects too much.
/// </summary>
public sealed class SyncRunnerProcessorTests
{
    [Fact]
    public async Task A_quarantined_record_is_held_with_its_reason_and_payload_while_the_rest_of_the_batch_is_sent_and_the_checkpoint_moves()
    {
        var sync = new SyncHarness(6) { Processors = [new DecidingProcessor("accounts", key => key == "3" ? ProcessorDecision.Quarantine("no account 42") : ProcessorDecision.Pass)] };

        var result = await sync.RunAsync();

        Assert.Equal(["0", "1", "2", "4", "5"], sync.SentKeys());
        var held = Assert.Single(sync.Store.Commits.SelectMany(c => c.DeadLetters));
        Assert.Equal(("3", "msg-3", "accounts: no account 42", DeadLetterKind.Quarantined), (held.RecordKey, held.MessageId, held.Reason, held.Kind));
        Assert.StartsWith("{\"id\":3}", held.Payload, StringComparison.Ordinal);
        Assert.Equal(TestPosition.CheckpointAt(5), sync.Store.Checkpoint);
        Assert.Equal((6L, 5L, 1L), (result.Read, result.Acknowledged, result.Rejected));
        Assert.DoesNotContain(sync.Destination.Calls.SelectMany(c => c.Keys), k => k == "3");
    }

    [Fact]
    public async Task A_dropped_record_is_handled_without_being_sent_and_a_deferred_one_is_kept_as_waiting_not_as_rejected()
    {
        var sync = new SyncHarness(5)
        {
            Processors = [new DecidingProcessor("parents", key => key switch
            {
                "1" => ProcessorDecision.Drop,
                "2" => ProcessorDecision.Defer("account 7 not synced yet"),
                _ => ProcessorDecision.Pass,
            })],
        };

        var result = await sync.RunAsync();

        Assert.Equal(["0", "3", "4"], sync.SentKeys());
        var waiting = Assert.Single(sync.Store.Commits.SelectMany(c => c.DeadLetters));
        Assert.Equal(("2", "parents: account 7 not synced yet", DeadLetterKind.Waiting), (waiting.RecordKey, waiting.Reason, waiting.Kind));
        Assert.NotNull(waiting.Payload);
        Assert.Equal(TestPosition.CheckpointAt(4), sync.Store.Checkpoint);
        Assert.Equal((5L, 3L, 0L), (result.Read, result.Acknowledged, result.Rejected));
    }

    [Fact]
    public async Task Processors_run_in_order_a_batch_at_a_time_and_look_up_once_per_batch()
    {
        var lookup = new CountingLookup(["0", "2", "4", "6", "8"]);
        var checks = new LookupProcessor(lookup);
        var second = new DecidingProcessor("second", _ => ProcessorDecision.Pass);
        var sync = new SyncHarness(10, Limits(maxRecords: 5)) { Destination = new FakeDestination(Limits(maxRecords: 5)), Processors = [checks, second] };

        await sync.RunAsync();

        Assert.Equal(["0", "2", "4", "6", "8"], sync.SentKeys());
        Assert.Equal(2, lookup.Queries);
        Assert.Equal([5, 5], checks.BatchSizes);
        Assert.Equal(["0", "2", "4", "6", "8"], second.Seen.Order());
    }

    [Fact]
    public async Task A_run_past_max_rejected_stops_naming_the_sync_the_count_and_the_key_and_keeps_what_it_committed()
    {
        var sync = new SyncHarness(30, Limits(maxRecords: 10))
        {
            Destination = new FakeDestination(Limits(maxRecords: 10)),
            Options = new SyncRunOptions { MaxRejected = new RejectionLimit(3, null) },
            Processors = [new DecidingProcessor("checks", key => int.Parse(key, System.Globalization.CultureInfo.InvariantCulture) >= 8 ? ProcessorDecision.Quarantine("bad") : ProcessorDecision.Pass)],
        };

        var failure = await Assert.ThrowsAsync<SluiceException>(() => sync.RunAsync());

        Assert.Equal(ErrorClass.Fatal, failure.Class);
        Assert.Contains("sync 'users_to_fake' stopped", failure.Message, StringComparison.Ordinal);
        Assert.Contains("12 of the 20 records", failure.Message, StringComparison.Ordinal);
        Assert.Contains("max_rejected: 3", failure.Message, StringComparison.Ordinal);
        Assert.Equal(TestPosition.CheckpointAt(19), sync.Store.Checkpoint);
        Assert.Equal(Keys(0, 8), sync.SentKeys());
        var run = Assert.Single(sync.Store.Runs);
        Assert.Equal(RunStatus.Failed, run.Outcome!.Status);
        Assert.Contains("max_rejected", run.Outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_percentage_max_rejected_waits_for_the_minimum_sample_before_it_judges()
    {
        // 1 of every 10 quarantined: 10%, past 5% — but not judged before 100 records were read.
        var sync = new SyncHarness(300, Limits(maxRecords: 50))
        {
            Destination = new FakeDestination(Limits(maxRecords: 50)),
            Options = new SyncRunOptions { MaxRejected = new RejectionLimit(null, 5) },
            Processors = [new DecidingProcessor("checks", key => key.EndsWith('7') ? ProcessorDecision.Quarantine("bad") : ProcessorDecision.Pass)],
        };

        var failure = await Assert.ThrowsAsync<SluiceException>(() => sync.RunAsync());

        Assert.Contains("10 of the 100 records", failure.Message, StringComparison.Ordinal);
        Assert.Contains("max_rejected: 5%", failure.Message, StringComparison.Ordinal);
        Assert.Equal(TestPosition.CheckpointAt(99), sync.Store.Checkpoint);
    }

    [Theory]
    [InlineData("max_rejected: 100", 100L, null)]
    [InlineData("max_rejected: 5%", null, 5.0)]
    [InlineData("max_rejected: 0.5%", null, 0.5)]
    public void Max_rejected_is_a_count_or_a_percentage(string yaml, long? count, double? percent)
    {
        Assert.Equal(new RejectionLimit(count, percent), RejectionLimit.Bind(ConfigSection.Parse(yaml)));
    }

    [Theory]
    [InlineData("max_rejected: lots")]
    [InlineData("max_rejected: 120%")]
    [InlineData("max_rejected: -3")]
    public void A_max_rejected_that_is_neither_names_the_file_the_key_and_the_fix(string yaml)
    {
        var error = Assert.Throws<ConfigException>(() => RejectionLimit.Bind(ConfigSection.Parse(yaml, "sluice.yaml")));

        Assert.Contains("sluice.yaml", error.Message, StringComparison.Ordinal);
        Assert.Contains("'max_rejected'", error.Message, StringComparison.Ordinal);
        Assert.Contains("max_rejected: 5%", error.Message, StringComparison.Ordinal);
    }

    private sealed class DecidingProcessor(string name, Func<string, ProcessorDecision> decide) : IRecordProcessor
    {
        private readonly List<string> _seen = [];

        public string Name { get; } = name;

        public IReadOnlyList<string> Seen
        {
            get
            {
                lock (_seen)
                {
                    return [.. _seen];
                }
            }
        }

        public ValueTask<IReadOnlyList<ProcessorDecision>> ProcessAsync(ProcessorBatch batch, CancellationToken ct)
        {
            lock (_seen)
            {
                _seen.AddRange(batch.Records.Select(r => r.Change.Key));
            }

            return ValueTask.FromResult<IReadOnlyList<ProcessorDecision>>(batch.Records.Select(r => decide(r.Change.Key)).ToArray());
        }
    }

    /// <summary>Passes the records whose key the lookup finds, quarantines the others: one lookup per batch.</summary>
    private sealed class LookupProcessor(IRecordLookup lookup) : IRecordProcessor
    {
        public string Name => "exists";

        public List<int> BatchSizes { get; } = [];

        public async ValueTask<IReadOnlyList<ProcessorDecision>> ProcessAsync(ProcessorBatch batch, CancellationToken ct)
        {
            BatchSizes.Add(batch.Records.Count);
            var found = await lookup.FindAsync(batch.Records.Select(r => r.Change.Key).ToList(), ct);
            return batch.Records.Select(r => found.ContainsKey(r.Change.Key) ? ProcessorDecision.Pass : ProcessorDecision.Quarantine($"{r.Change.Key} not in {lookup.Name}")).ToArray();
        }
    }

    private sealed class CountingLookup(IReadOnlyCollection<string> rows) : IRecordLookup
    {
        public int Queries { get; private set; }

        public string Name => "reference";

        public Task<IReadOnlyDictionary<string, IReadOnlyList<object?>>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
        {
            Queries++;
            return Task.FromResult<IReadOnlyDictionary<string, IReadOnlyList<object?>>>(
                keys.Where(rows.Contains).ToDictionary(k => k, k => (IReadOnlyList<object?>)[k]));
        }
    }
}
