using System.Runtime.CompilerServices;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Salesforce.Connection;
using Sluice.Salesforce.Source;

namespace Sluice.Salesforce.Streaming;

/// <summary>
/// A Salesforce source's <c>changes: stream</c> mode: follows the object's Change Data Capture channel
/// (<c>/data/{Object}ChangeEvent</c>) for ever. It subscribes first, so nothing committed while it loads or polls is
/// missed; a first run then loads the object (the polling source's initial load), a run whose replay id has expired polls
/// from its last poll position (reconciliation), and every run then streams. Events are notifications: the records
/// they name are read again by Id (one query for all the ids of a long-poll's events), so an update event's partial
/// body, a gap event's missing one, or a merged event's many ids all become full records; a delete whose record is gone
/// from the recycle bin is a delete; a <c>GAP_OVERFLOW</c> (ids unknown) triggers a poll. The replay id is the
/// checkpoint: an event's replay id is stored with the last change it produced, so an event is done only when all of
/// its records are. Changes carry <c>changeOrigin</c>; those of Sluice's own writes are marked <see cref="Change.OwnWrite"/>.
/// </summary>
internal sealed class ChangeStream(SalesforceSource source, SalesforceClient client, string objectName)
{
    /// <summary>The <c>client=</c> Sluice's writes carry in <c>Sforce-Call-Options</c>.</summary>
    public const string SluiceClient = "sluice";

    /// <summary>Set by tests: what to use instead of a real HTTP handler.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>Replays that expired and were reconciled by a poll (for the run summary and tests).</summary>
    public int Reconciliations { get; private set; }

    public static string ChannelOf(string objectName) =>
        "/data/" + (objectName.EndsWith("__c", StringComparison.OrdinalIgnoreCase) ? objectName[..^1] : objectName) + "ChangeEvent";

    public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var from = StreamPosition.Read(request.From);
        var poll = from?.Poll;
        long? replayId = from?.ReplayId;
        using var cometd = new CometdClient(client, ChannelOf(objectName), Handler);
        var mustPoll = replayId is null;
        if (replayId is { } stored)
        {
            try
            {
                await cometd.SubscribeAsync(stored, ct);
            }
            catch (ReplayIdExpiredException)
            {
                // The events since are gone (72 h retention): subscribe for new ones now, then find the rest by polling.
                Reconciliations++;
                replayId = null;
                mustPoll = true;
            }
        }

        if (mustPoll)
        {
            await cometd.SubscribeAsync(-1, ct);
            await foreach (var change in PollAsync(request, poll, replayId, p => poll = p, ct))
            {
                yield return change;
            }
        }

        try
        {
            while (!ct.IsCancellationRequested)
            {
                var events = await cometd.ConnectAsync(ct);
                var pending = new List<ChangeEventMessage>();
                foreach (var message in events)
                {
                    if (!message.IsOverflow)
                    {
                        pending.Add(message);
                        continue;
                    }

                    await foreach (var change in ReReadAsync(request, pending, poll, replayId, ct))
                    {
                        yield return change;
                    }

                    replayId = pending.Count > 0 ? pending[^1].ReplayId : replayId;
                    pending.Clear();

                    // Which records a GAP_OVERFLOW transaction changed is unknown: a poll finds them.
                    await foreach (var change in PollAsync(request, poll, replayId, p => poll = p, ct, endAt: message.ReplayId))
                    {
                        yield return change;
                    }

                    replayId = message.ReplayId;
                }

                await foreach (var change in ReReadAsync(request, pending, poll, replayId, ct))
                {
                    yield return change;
                }

                replayId = pending.Count > 0 ? pending[^1].ReplayId : replayId;
            }
        }
        finally
        {
            await cometd.DisconnectAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// The polling source's read from <paramref name="poll"/> (a first load, or a poll since), its positions wrapped with
    /// the replay id; the last (its progress) carries <paramref name="endAt"/> when the poll stands for that event.
    /// </summary>
    private async IAsyncEnumerable<Change> PollAsync(ReadRequest request, Checkpoint? poll, long? replayId, Action<Checkpoint> polled, [EnumeratorCancellation] CancellationToken ct, long? endAt = null)
    {
        await foreach (var change in source.PollAsync(request with { From = poll }, ct))
        {
            var checkpoint = change.Position.ToCheckpoint();
            var position = new StreamPosition(change.IsProgress && endAt is not null ? endAt : replayId, checkpoint);
            if (change.IsProgress)
            {
                polled(checkpoint);
                yield return Change.Progress(position);
                continue;
            }

            yield return Rewrap(change, position, origin: null);
        }
    }

    /// <summary>Reads the records <paramref name="events"/> name as they are now, in one query per 200 ids, and hands each on once.</summary>
    private async IAsyncEnumerable<Change> ReReadAsync(ReadRequest request, List<ChangeEventMessage> events, Checkpoint? poll, long? replayId, [EnumeratorCancellation] CancellationToken ct)
    {
        if (events.Count == 0)
        {
            yield break;
        }

        var order = new List<string>();
        var lastEvent = new Dictionary<string, ChangeEventMessage>(StringComparer.Ordinal);
        foreach (var message in events.Where(e => e.EntityName.Equals(objectName, StringComparison.OrdinalIgnoreCase)))
        {
            foreach (var id in message.RecordIds)
            {
                if (!lastEvent.ContainsKey(id))
                {
                    order.Add(id);
                }

                lastEvent[id] = message;
            }
        }

        var found = new Dictionary<string, Change>(StringComparer.Ordinal);
        var placeholder = new StreamPosition(replayId, poll);
        await foreach (var change in source.ReadRecordsAsync(order, request, placeholder, ct))
        {
            found[change.Key] = change;
        }

        var before = new StreamPosition(replayId, poll);
        var after = new StreamPosition(events[^1].ReplayId, poll);
        var idColumn = IndexOfId(request);
        for (var i = 0; i < order.Count; i++)
        {
            var id = order[i];
            var message = lastEvent[id];
            var position = i == order.Count - 1 ? after : before;
            if (found.TryGetValue(id, out var change))
            {
                yield return Rewrap(change, position, message.ChangeOrigin);
            }
            else if (message.IsDelete)
            {
                // Gone from the recycle bin too (emptied, or hard-deleted): only the event knows.
                var values = new object?[request.Columns.Count];
                if (idColumn >= 0)
                {
                    values[idColumn] = id;
                }

                yield return new Change(id, ChangeOperation.Delete, values, position)
                {
                    Kind = ChangeKinds.Deleted,
                    Version = "deleted replay " + message.ReplayId,
                    Origin = message.ChangeOrigin,
                    OwnWrite = message.CameFrom(SluiceClient),
                };
            }
            else if (i == order.Count - 1)
            {
                // Nothing to hand on for it (created and purged before the read): the position still moves.
                yield return Change.Progress(position);
            }
        }
    }

    private static Change Rewrap(Change change, SourcePosition position, string? origin) =>
        new(change.Key, change.Operation, change.Values, position)
        {
            Kind = change.Kind,
            Version = change.Version,
            Origin = origin,
            OwnWrite = origin is not null && origin.EndsWith(";client=" + SluiceClient, StringComparison.Ordinal),
        };

    private static int IndexOfId(ReadRequest request)
    {
        for (var i = 0; i < request.Columns.Count; i++)
        {
            if (request.Columns[i].Equals("Id", StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
