namespace Sluice.State.Retention;

/// <summary>What <see cref="StateRetentionPruner"/> found older than the retention (or deleted), per kind of history.</summary>
/// <param name="Sends">Send-ledger rows (acknowledged batches).</param>
/// <param name="Runs">Runs (their batches go with them).</param>
/// <param name="DeadLetters">Dead letters and quarantine entries already replayed, released or dropped.</param>
/// <param name="Audit">Audit-log rows.</param>
/// <param name="Records">Record-ledger entries with nothing to remember.</param>
public sealed record StatePruneCount(long Sends, long Runs, long DeadLetters, long Audit, long Records)
{
    public bool IsEmpty => Sends + Runs + DeadLetters + Audit + Records == 0;

    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{Sends:N0} send-ledger rows, {Runs:N0} runs (with their batches), {DeadLetters:N0} resolved dead letters, {Audit:N0} audit-log rows, {Records:N0} record-ledger entries with nothing to remember");
}
