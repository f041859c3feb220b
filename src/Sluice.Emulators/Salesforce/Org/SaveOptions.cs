namespace Sluice.Emulators.Salesforce.Org;

/// <summary>How <see cref="SalesforceOrg.Save"/> treats a list of records.</summary>
public sealed class SaveOptions
{
    /// <summary>
    /// When true and any record fails, nothing is committed and every other record reports
    /// <c>ALL_OR_NONE_OPERATION_ROLLED_BACK</c>. Default false: each record stands alone.
    /// </summary>
    public bool AllOrNone { get; init; }

    /// <summary>The acting user's id (CreatedById, LastModifiedById, default OwnerId). Default: the org's first user.</summary>
    public string? UserId { get; init; }

    /// <summary>
    /// Fault hook asked once per record before it is saved: true fails that record with
    /// <c>UNABLE_TO_LOCK_ROW</c>, as a row lock held by another transaction would. Default: never.
    /// </summary>
    public Func<SaveRequest, bool>? LockFailure { get; init; }

    /// <summary>
    /// The API door and client that made the save, as change events report it in <c>changeOrigin</c>, e.g.
    /// <c>com/salesforce/api/rest/62.0;client=sluice</c>. Default empty (a change made inside the org).
    /// </summary>
    public string ChangeOrigin { get; init; } = "";

    /// <summary>
    /// Fault: the call's records are stamped now (<c>SystemModstamp</c>, <c>LastModifiedDate</c>) but readers (queries,
    /// queryAll, Bulk query jobs, getUpdated) see them only this long afterwards, as a long transaction that commits late
    /// would show them; until then they see the record as it was before (or not at all, when it is new). Default
    /// <c>null</c>: visible at once.
    /// </summary>
    public TimeSpan? CommitLag { get; init; }
}
