namespace Sluice.Postgres.Destinations.Records;

/// <summary>What a records export does with the table's rows (G5, Grouparoo's sync modes): <c>destination: {mode: …}</c>.</summary>
internal enum RecordsMode
{
    /// <summary>Create and update rows, never delete (the default).</summary>
    Additive,

    /// <summary>Create, update, and delete the rows whose record is gone (a source delete or a diff's delete).</summary>
    Sync,

    /// <summary>Update only rows that already exist; records without one are left out, and explain says so.</summary>
    Enrich,

    /// <summary>
    /// Append-only (an immutable audit table): insert each new version as a row, keyed by the record's key and a version
    /// column (<c>key: [Id, SystemModstamp]</c>); never update or delete. A replay of a version already there is a no-op.
    /// </summary>
    Append,
}
