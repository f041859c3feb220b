namespace Sluice.Core.State;

/// <summary>
/// What a two-way sync stores for one linked record once the batch that handled it commits: the values both sides now
/// agree on (what Sluice wrote, or found already equal) and the conflicts it resolved. Committed in the batch's
/// transaction, with the checkpoint and the record ledger, so an agreement never moves ahead of the write it describes.
/// </summary>
/// <param name="Pair">The pair's name (the sync that declares <c>two_way:</c>).</param>
/// <param name="Link">The record's Salesforce Id; <c>null</c> until the destination's acknowledgement gives it (a create).</param>
/// <param name="Key">The record key of the sync that handled it.</param>
/// <param name="Agreed">The pair's fields as text; <c>null</c> with <see cref="Forget"/>.</param>
public sealed record PairedRecord(string Pair, string? Link, string Key, IReadOnlyDictionary<string, string?>? Agreed)
{
    /// <summary>The conflicts resolved for this record in this batch.</summary>
    public IReadOnlyList<RecordConflict> Conflicts { get; init; } = [];

    /// <summary>Whether the record was deleted on one side: the agreement is dropped.</summary>
    public bool Forget => Agreed is null;
}
