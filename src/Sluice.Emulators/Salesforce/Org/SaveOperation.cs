namespace Sluice.Emulators.Salesforce.Org;

/// <summary>What a <see cref="SaveRequest"/> does.</summary>
public enum SaveOperation
{
    /// <summary>Create a record; fails on an id in the body.</summary>
    Insert,

    /// <summary>Change an existing record found by <see cref="SaveRequest.Id"/>.</summary>
    Update,

    /// <summary>Create or change the record matched by <see cref="SaveRequest.ExternalIdField"/>.</summary>
    Upsert,

    /// <summary>Move the record found by <see cref="SaveRequest.Id"/> to the recycle bin.</summary>
    Delete,
}
