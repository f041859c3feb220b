namespace Sluice.Postgres.Cdc;

/// <summary>
/// One replication slot as the server reports it at one moment (<c>pg_replication_slots</c>, joined with
/// <c>pg_stat_replication</c> for the WAL sender reading it).
/// </summary>
/// <param name="LagBytes">WAL written since the position the slot's reader last confirmed (<c>confirmed_flush_lsn</c>): what it has yet to acknowledge.</param>
/// <param name="RetainedBytes">WAL the server keeps for the slot (from <c>restart_lsn</c>): what the slot costs on disk.</param>
/// <param name="WalStatus"><c>reserved</c>, <c>extended</c>, <c>unreserved</c> or <c>lost</c> (PostgreSQL 13+); null before.</param>
/// <param name="SafeWalSize">Bytes that may still be written before the slot is in danger of losing WAL (<c>max_slot_wal_keep_size</c>); null when unlimited.</param>
/// <param name="FlushLag">The server's measure of how far behind the reader's confirmations are, while a reader is attached; null when caught up or detached.</param>
/// <param name="ConfirmedFlushLsn">The position the reader last confirmed, as text (<c>0/16B3748</c>).</param>
/// <param name="CurrentLsn">The server's current WAL position when sampled, as text.</param>
public sealed record SlotHealthSample(
    string Slot,
    string Database,
    bool Active,
    int? ActivePid,
    long LagBytes,
    long RetainedBytes,
    string? WalStatus,
    long? SafeWalSize,
    TimeSpan? FlushLag,
    string? ConfirmedFlushLsn,
    string CurrentLsn);
