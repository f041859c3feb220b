namespace Sluice.Emulators.Salesforce.Org;

/// <summary>What a committed save did to a record (a change event's <c>changeType</c>).</summary>
internal enum RecordChangeType
{
    /// <summary>Created.</summary>
    Create,

    /// <summary>Changed.</summary>
    Update,

    /// <summary>Moved to the recycle bin.</summary>
    Delete,
}
