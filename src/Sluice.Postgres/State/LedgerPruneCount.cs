namespace Sluice.Postgres.State;

/// <summary>What <see cref="RecordLedgerRetention"/> found (or deleted).</summary>
/// <param name="Entries">Ledger entries with nothing to remember.</param>
/// <param name="DeliveredDeadLetters">Dead letters replayed and delivered.</param>
public sealed record LedgerPruneCount(long Entries, long DeliveredDeadLetters)
{
    public bool IsEmpty => Entries == 0 && DeliveredDeadLetters == 0;
}
