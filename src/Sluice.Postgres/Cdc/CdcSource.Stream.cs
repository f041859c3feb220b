using System.Runtime.CompilerServices;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using NpgsqlTypes;
using Sluice.Core.Connectors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Cdc;

internal sealed partial class CdcSource
{
    /// <summary>
    /// Streams the slot: each insert, update and delete of a followed table becomes a change at (commit LSN, index in
    /// its transaction); changes at or before <paramref name="from"/> were handled before a restart and are skipped.
    /// </summary>
    /// <param name="handed">The last position already handed to the engine (the end of the copy), if any.</param>
    private async IAsyncEnumerable<Change> StreamAsync(
        LogicalReplicationConnection replication, SlotStart start, IReadOnlyList<CdcTable> tables, ReadRequest request,
        CdcPosition? from, CdcPosition? handed, [EnumeratorCancellation] CancellationToken ct)
    {
        var confirmations = new CdcConfirmations(start.Confirmed, from, handed);
        var byOid = tables.ToDictionary(t => t.Table.Oid);
        var relations = new Dictionary<uint, CdcRelation>();
        var types = new Dictionary<uint, CdcValueType>();
        var reader = new ChangeReader(this, tables.Count > 1);

        // Until the first commit, Npgsql's periodic status updates must not report less than the slot already has.
        replication.SetReplicationStatus(start.Confirmed);
        _confirmations = confirmations;
        _streaming = replication;
        if (_committed is { Copying: false } committed)
        {
            // Committed before the confirmations existed (the end of the copy, typically); sent with the first status update.
            if (confirmations.Committed(committed) is { } lsn)
            {
                replication.SetReplicationStatus(lsn);
            }
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeat = HeartbeatAsync(replication, confirmations, stop.Token);
        IAsyncEnumerator<PgOutputReplicationMessage>? messages = null;
        try
        {
            var options = new PgOutputReplicationOptions(_options.Publication, PgOutputProtocolVersion.V1);
            messages = replication.StartReplication(start.Slot, options, ct).GetAsyncEnumerator(ct);
            NpgsqlLogSequenceNumber commitLsn = default;
            var index = 0;
            CdcPosition? last = null;
            // The replication origin of the transaction being read (set on the session that wrote it), if any.
            string? origin = null;
            while (await PostgresCall.RunAsync(_calls, messages.MoveNextAsync()))
            {
                Change? change = null;
                switch (messages.Current)
                {
                    case BeginMessage begin:
                        commitLsn = begin.TransactionFinalLsn;
                        index = 0;
                        last = null;
                        origin = null;
                        confirmations.Begin();
                        break;
                    case OriginMessage marked:
                        // Sent after Begin, before the transaction's first change, when its session had an origin set.
                        origin = marked.OriginName;
                        break;
                    case RelationMessage relation:
                        relations[relation.RelationId] = byOid.TryGetValue(relation.RelationId, out var table)
                            ? CdcRelation.Build(relation, table, request.Columns, WatchedOf?.Invoke(table) ?? request.Watched, await TypesAsync(types, relation, ct))
                            : CdcRelation.Ignored;
                        break;
                    case InsertMessage or UpdateMessage or DeleteMessage:
                        // Every row message counts, followed or not, so that an index never depends on what is skipped.
                        var position = CdcPosition.Streamed(commitLsn, ++index);
                        var message = messages.Current;
                        if (from is not null && !position.IsAfter(from))
                        {
                            break;
                        }

                        change = await PostgresCall.RunAsync(_calls, reader.ReadAsync(message, relations, position, origin, ct));
                        break;
                    case CommitMessage commit:
                        confirmations.End(last, commit.TransactionEndLsn);
                        break;

                    // Truncate (not a row change: Sluice's own publication does not publish it), Type: nothing to send.
                    default:
                        break;
                }

                if (change is not null)
                {
                    var position = (CdcPosition)change.Position;
                    confirmations.Handing(position);
                    last = position;
                    yield return change;
                }
            }
        }
        finally
        {
            // No status update in flight or to come (the heartbeat's included) before the replication ends.
            await _confirming.WaitAsync(CancellationToken.None);
            try
            {
                _streaming = null;
                _confirmations = null;
            }
            finally
            {
                _confirming.Release();
            }

            await stop.CancelAsync();
            await heartbeat;
            if (messages is not null)
            {
                await messages.DisposeAsync();
            }
        }
    }

    /// <summary>How to read the text of each column type of a relation, asking the catalog for types not seen yet.</summary>
    private async Task<Dictionary<uint, CdcValueType>> TypesAsync(Dictionary<uint, CdcValueType> known, RelationMessage relation, CancellationToken ct)
    {
        var unknown = relation.Columns.Select(c => c.DataTypeId).Where(oid => !known.ContainsKey(oid)).Distinct().ToList();
        if (unknown.Count > 0)
        {
            await using var connection = await OpenAsync(ct);
            foreach (var (oid, type) in await PostgresCall.RunAsync(_calls, () => CdcCatalog.TypesAsync(connection, unknown, ct)))
            {
                known[oid] = type;
            }
        }

        return known;
    }

    /// <summary>
    /// While streaming: confirms what can be confirmed when the sync is idle, and writes a tiny WAL record so that a
    /// database with no traffic on the followed tables still gives the slot something to move to.
    /// </summary>
    private async Task HeartbeatAsync(LogicalReplicationConnection replication, CdcConfirmations confirmations, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.Heartbeat, _time);
        var emit = true;
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await ConfirmAsync(replication, () => confirmations.Idle(() => replication.LastReceivedLsn), ct);
                if (emit)
                {
                    emit = await EmitHeartbeatAsync(ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The stream ended.
        }
    }

    /// <summary>Writes the heartbeat record; false when the role may not (AdviseAsync says how to allow it), so it stops trying.</summary>
    private async Task<bool> EmitHeartbeatAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            // Non-transactional: logged at once, and pgoutput (without 'messages') sends nothing for it but a keepalive.
            await using var command = new NpgsqlCommand("SELECT pg_logical_emit_message(false, 'sluice_heartbeat', '')", connection);
            await command.ExecuteNonQueryAsync(ct);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == "42501")
        {
            return false;
        }
        catch (Exception e) when (PostgresCall.IsDriverFailure(e))
        {
            // A heartbeat is best effort: the stream's own reads report a database that is gone.
            return true;
        }
    }

    /// <summary>
    /// Sends the position <paramref name="lsn"/> gives, if any, while <paramref name="replication"/> still streams for
    /// this source (under <see cref="_confirming"/>: the stream does not end during the update).
    /// </summary>
    private async Task ConfirmAsync(LogicalReplicationConnection replication, Func<NpgsqlLogSequenceNumber?> lsn, CancellationToken ct)
    {
        await _confirming.WaitAsync(ct);
        try
        {
            if (!ReferenceEquals(_streaming, replication) || lsn() is not { } confirmed)
            {
                return;
            }

            // Thread-safe in Npgsql (interlocked fields, and a semaphore around sending), as its own feedback timer needs.
            replication.SetReplicationStatus(confirmed);
            await replication.SendStatusUpdate(ct);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or NpgsqlException)
        {
            // Not streaming yet: the position goes with the next status update, or the slot streams those transactions
            // again after a restart and the stored checkpoint skips them.
        }
        finally
        {
            _confirming.Release();
        }
    }
}
