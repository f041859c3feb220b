using System.Collections.Concurrent;
using System.Text;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Salesforce.Source;
using Sluice.Salesforce.Streaming;
using Sluice.Testing;

namespace Sluice.Salesforce.Tests.Streaming;

/// <summary>
/// A Salesforce source in <c>changes: stream</c> mode against the emulator's Change Data Capture: the initial load then
/// the events, re-reads for gap and merged events, a poll for overflow, reconciliation when the replay id expired, a
/// renewed session, and Sluice's own writes marked.
/// </summary>
public sealed class ChangeStreamTests
{
    private static readonly string[] Columns = ["Id", "Name", "StageName", "Account.Name"];

    [Fact]
    public async Task A_first_run_loads_the_object_then_hands_on_each_change_as_it_happens()
    {
        await using var bed = await SourceBed.StartAsync();
        var loaded = bed.Opportunities(["Loaded 1", "Loaded 2"]);
        await using var stream = Stream.Start(bed, null);
        await stream.WaitAsync(c => c.Any(x => x.IsProgress), "the initial load and its poll");

        var created = bed.Opportunities(["Streamed"])[0];
        bed.Update(loaded[0], "Loaded 1 renamed");
        bed.Delete(loaded[1]);

        await stream.WaitAsync(c => c.Any(x => x.Operation == ChangeOperation.Delete), "the delete");
        var records = stream.Records;
        Assert.Equal([.. loaded, created, loaded[0], loaded[1]], records.Select(c => c.Key));
        Assert.Equal("Loaded 1 renamed", records[3].Values[1]);
        Assert.Equal("Prospecting", records[3].Values[2]);
        Assert.Equal(ChangeOperation.Delete, records[4].Operation);
        Assert.All(records.Skip(2), c => Assert.False(c.OwnWrite));
        Assert.Equal(bed.Bed.Emulator.LatestReplayId, ReplayIdOf(records[^1].Position.ToCheckpoint()));
    }

    [Fact]
    public async Task Changes_sluice_wrote_carry_their_origin_and_are_marked_as_its_own()
    {
        await using var bed = await SourceBed.StartAsync();
        var id = bed.Opportunities(["Mine"])[0];
        await using var stream = Stream.Start(bed, null);
        await stream.WaitAsync(c => c.Any(x => x.IsProgress), "the initial load and its poll");

        using var client = bed.Bed.Client();
        await client.SendJsonAsync(HttpMethod.Patch, $"sobjects/Opportunity/{id}", Encoding.UTF8.GetBytes("""{"Name":"Written by Sluice"}"""), retrySafe: true, CancellationToken.None);
        // Two events for one record that arrive in the same long-poll answer are read again once, as the record is now
        // (the last event's origin): let Sluice's own update be handed on before someone else writes the record.
        await stream.WaitAsync(c => c.Count(x => !x.IsProgress) >= 2, "Sluice's own update");
        bed.Update(id, "Written by someone else");

        await stream.WaitAsync(c => c.Count(x => !x.IsProgress) >= 3, "both updates");
        var (ours, theirs) = (stream.Records[1], stream.Records[2]);
        Assert.True(ours.OwnWrite);
        Assert.Equal("com/salesforce/api/rest/62.0;client=sluice", ours.Origin);
        Assert.False(theirs.OwnWrite);
    }

    [Fact]
    public async Task Gap_events_and_events_listing_many_records_are_read_again_by_id()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(["A", "B", "C"]);
        await using var stream = Stream.Start(bed, null);
        await stream.WaitAsync(c => c.Any(x => x.IsProgress), "the initial load and its poll");

        // One call, the same values: one UPDATE event listing three ids.
        bed.Org.Save([.. ids.Select(id => new SaveRequest { Operation = SaveOperation.Update, Id = id, Fields = [new("StageName", "Closed Won")] })]);
        await stream.WaitAsync(c => c.Count(x => !x.IsProgress) >= 6, "the merged event's three records");
        bed.Bed.Emulator.SetStreaming(new SalesforceStreamingOptions { GapEvents = true });
        bed.Update(ids[0], "A after a gap");
        await stream.WaitAsync(c => c.Count(x => !x.IsProgress) >= 7, "the gap event's record");

        var records = stream.Records;
        Assert.Equal(ids, records.Skip(3).Take(3).Select(c => c.Key));
        Assert.All(records.Skip(3).Take(3), c => Assert.Equal("Closed Won", c.Values[2]));
        Assert.Equal("A", records[3].Values[1]);
        Assert.Equal("A after a gap", records[6].Values[1]);
        Assert.Equal("Closed Won", records[6].Values[2]);
    }

    [Fact]
    public async Task A_transaction_that_overflowed_is_found_by_a_poll()
    {
        await using var bed = await SourceBed.StartAsync();
        bed.Opportunities(["Before"]);
        await using var stream = Stream.Start(bed, null);
        await stream.WaitAsync(c => c.Any(x => x.IsProgress), "the initial load and its poll");
        bed.Bed.Emulator.SetStreaming(new SalesforceStreamingOptions { OverflowThreshold = 2 });

        var many = bed.Opportunities(["O1", "O2", "O3", "O4"]);

        await stream.WaitAsync(c => many.All(id => c.Any(x => x.Key == id)), "all four records of the big transaction");
    }

    [Fact]
    public async Task An_expired_replay_id_is_reconciled_by_a_poll_and_the_stream_resumes_after_it()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(["Kept", "Changed offline"]);
        Checkpoint stopped;
        await using (var first = Stream.Start(bed, null))
        {
            await first.WaitAsync(c => c.Any(x => x.IsProgress), "the initial load and its poll");
            bed.Update(ids[0], "Kept, streamed");
            await first.WaitAsync(c => c.Count(x => !x.IsProgress) >= 3, "the streamed update");
            stopped = first.Last!.Position.ToCheckpoint();
        }

        bed.Update(ids[1], "Changed while Sluice was away");
        var createdAway = bed.Opportunities(["Created while Sluice was away"])[0];
        bed.Bed.Emulator.ExpireChangeEvents();

        await using var second = Stream.Start(bed, stopped);
        await second.WaitAsync(c => c.Any(x => x.Key == createdAway) && c.Any(x => x.Key == ids[1]), "the changes made while away, by the reconciliation poll");
        var live = bed.Opportunities(["Live again"])[0];
        await second.WaitAsync(c => c.Any(x => x.Key == live), "a change after the reconciliation, by the stream");

        Assert.Equal("Changed while Sluice was away", second.Records.Last(c => c.Key == ids[1]).Values[1]);
        Assert.True(second.Reconciliations == 1, $"one reconciliation from {stopped}");
    }

    [Fact]
    public async Task An_expired_session_is_renewed_and_the_stream_goes_on_without_a_gap()
    {
        await using var bed = await SourceBed.StartAsync();
        bed.Bed.Emulator.SetStreaming(new SalesforceStreamingOptions { ConnectTimeout = TimeSpan.FromMilliseconds(300) });
        await using var stream = Stream.Start(bed, null);
        await stream.WaitAsync(c => c.Any(x => x.IsProgress), "the (empty) initial load and its poll");

        bed.Bed.Emulator.ExpireTokens();
        var id = bed.Opportunities(["After the session ended"])[0];

        await stream.WaitAsync(c => c.Any(x => x.Key == id), "the change made after the session expired");
        Assert.True(bed.Bed.Emulator.Stats.TokensIssued >= 2);
    }

    private static long? ReplayIdOf(Checkpoint checkpoint) =>
        System.Text.Json.JsonDocument.Parse(checkpoint.Value).RootElement.TryGetProperty("replayId", out var id) ? id.GetInt64() : null;

    /// <summary>A stream source read in the background until disposed; what it yields is collected in order.</summary>
    private sealed class Stream : IAsyncDisposable
    {
        private readonly ConcurrentQueue<Change> _changes = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly SalesforceSource _source;
        private readonly ChangeStream _changeStream;
        private Task _reading = Task.CompletedTask;

        private Stream(SalesforceSource source, ChangeStream changeStream) => (_source, _changeStream) = (source, changeStream);

        public List<Change> Records => [.. _changes.Where(c => !c.IsProgress)];

        public Change? Last => _changes.LastOrDefault();

        public int Reconciliations => _changeStream.Reconciliations;

        public static Stream Start(SourceBed bed, Checkpoint? from)
        {
            var client = bed.Bed.Client();
            var source = new SalesforceSource("test", client, new SalesforceSourceOptions { Object = "Opportunity", Fields = Columns, Changes = "stream" });
            var stream = new Stream(source, new ChangeStream(source, client, "Opportunity"));
            stream._reading = Task.Run(() => stream.ReadAsync(from));
            return stream;
        }

        public Task WaitAsync(Func<List<Change>, bool> condition, string what) =>
            Eventually.HoldsAsync(() =>
            {
                if (_reading.IsFaulted)
                {
                    _reading.GetAwaiter().GetResult();
                }

                return condition([.. _changes]);
            }, what, state: () => string.Join("\n", _changes.Select(c => $"{c.Operation} {c.Key} {string.Join(", ", c.Values)}")));

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _reading;
            }
            catch (OperationCanceledException)
            {
                // Stopped, as asked.
            }

            await _source.DisposeAsync();
            _stop.Dispose();
        }

        private async Task ReadAsync(Checkpoint? from)
        {
            await foreach (var change in _changeStream.ReadAsync(new ReadRequest(Columns, from), _stop.Token))
            {
                _changes.Enqueue(change);
            }
        }
    }
}
