using Npgsql;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>
/// What <c>sluice prune --ledger</c> removes from the state store once it is older than the retention, because nothing
/// depends on it any more:
/// ledger entries with nothing to remember — no fingerprint (the sync does not diff, so no run compares against it) and no
/// destination id (no later write needs it) — unless quarantined or waiting (work still to do); and dead letters already
/// replayed and delivered (they left the queue; the send ledger and the audit log keep what was sent).
/// </summary>
/// <remarks>
/// Entries with a fingerprint or a destination id stay whatever their age: dropping one would make the next diff send the
/// record again, or lose the id a destination knows it by. A record deleted at the source has no entry to prune: the
/// commit that handled its delete dropped it.
/// </remarks>
public sealed class RecordLedgerRetention(NpgsqlDataSource dataSource, string schema = "sluice")
{
    private readonly string _schema = new StateSchema(schema).Name;

    private string ForgettableEntries =>
        $"FROM {_schema}.record_state WHERE fingerprint IS NULL AND destination_id IS NULL AND status IS DISTINCT FROM 'quarantined' AND status IS DISTINCT FROM 'waiting' AND updated_at < $1";

    private string DeliveredLetters => $"FROM {_schema}.dead_letters WHERE replayed_at IS NOT NULL AND replayed_at < $1";

    /// <summary>How many entries and dead letters last changed before <paramref name="cutoff"/> <see cref="PruneAsync"/> would delete.</summary>
    public Task<LedgerPruneCount> CountAsync(DateTimeOffset cutoff, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var command = dataSource.CreateCommand($"SELECT (SELECT count(*) {ForgettableEntries}), (SELECT count(*) {DeliveredLetters})");
            command.Parameters.Add(new NpgsqlParameter { Value = cutoff });
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            return new LedgerPruneCount(reader.GetInt64(0), reader.GetInt64(1));
        });

    /// <summary>Deletes them, in one transaction; returns how many.</summary>
    public Task<LedgerPruneCount> PruneAsync(DateTimeOffset cutoff, CancellationToken ct) =>
        PostgresCall.RunAsync(PostgresCallContext.StateStore, async () =>
        {
            await using var batch = dataSource.CreateBatch();
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"DELETE {ForgettableEntries}") { Parameters = { new NpgsqlParameter { Value = cutoff } } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"DELETE {DeliveredLetters}") { Parameters = { new NpgsqlParameter { Value = cutoff } } });
            await batch.ExecuteNonQueryAsync(ct);
            return new LedgerPruneCount(batch.BatchCommands[0].RecordsAffected, batch.BatchCommands[1].RecordsAffected);
        });
}
