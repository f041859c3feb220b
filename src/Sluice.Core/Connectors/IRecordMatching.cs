namespace Sluice.Core.Connectors;

/// <summary>
/// A destination that can find records it already holds by something other than the id it gave them (find-or-create:
/// Salesforce Contacts by email), a batch at a time. Before a batch is sent, the engine asks it once for every record
/// whose id the record ledger does not know, and puts what it found on the record
/// (<see cref="EncodedRecord.KnownDestinationId"/>), so the destination updates the record it found instead of
/// creating a second one.
/// </summary>
/// <remarks>One call per batch; the destination cuts it into as few queries as its system allows (Salesforce: one SOQL
/// <c>IN (…)</c> per 200 keys), never one query per record.</remarks>
public interface IRecordMatching
{
    /// <summary>For each of <paramref name="records"/>, in order, the id of the record the destination already holds, or <c>null</c>.</summary>
    Task<IReadOnlyList<string?>> MatchAsync(IReadOnlyList<EncodedRecord> records, CancellationToken ct);
}
