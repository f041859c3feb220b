namespace Sluice.Emulators.Salesforce.Org;

/// <summary>
/// One committed transaction of the org: the records it wrote in order, when, by whom and through which door
/// (<c>changeOrigin</c>). Handed to <see cref="SalesforceOrg.Committed"/> under the org's lock, so commits arrive in
/// commit order.
/// </summary>
internal sealed record OrgCommit(IReadOnlyList<RecordChange> Changes, DateTimeOffset CommitTime, string UserId, string Origin);
