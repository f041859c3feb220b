namespace Sluice.Salesforce.Destination;

/// <summary>What a Salesforce destination does with a changed record (<c>operation:</c>).</summary>
public enum SalesforceOperation
{
    /// <summary>Create or update by the <c>external_id</c> field.</summary>
    Upsert,

    /// <summary>Update records that exist (by <c>Id</c> or the external id); an unmatched record is never created.</summary>
    Update,

    /// <summary>Create a record for every change.</summary>
    Insert,
}
