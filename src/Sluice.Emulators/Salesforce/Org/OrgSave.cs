namespace Sluice.Emulators.Salesforce.Org;

/// <summary>
/// One committed transaction of the org, as <see cref="SalesforceOrg.Saved"/> tells it: who made it, through which API
/// and client (the <c>changeOrigin</c> its change events carry, e.g. <c>com/salesforce/api/rest/62.0;client=sluice</c>),
/// and each record before and after. A test checks a two-way sync's writes against it.
/// </summary>
/// <param name="Time">The commit's time.</param>
/// <param name="UserId">The acting user (the records' <c>LastModifiedById</c>).</param>
/// <param name="Origin">The <c>changeOrigin</c>; empty for a save made in process (a person in the UI).</param>
/// <param name="Records">Each record the transaction changed.</param>
public sealed record OrgSave(DateTimeOffset Time, string UserId, string Origin, IReadOnlyList<OrgSavedRecord> Records);

/// <summary>One record of an <see cref="OrgSave"/>.</summary>
/// <param name="Kind"><c>create</c>, <c>update</c>, <c>delete</c> or <c>undelete</c>.</param>
/// <param name="Before">The record before (null for a create).</param>
/// <param name="After">The record after.</param>
public sealed record OrgSavedRecord(string Kind, SObjectRecord? Before, SObjectRecord After);
