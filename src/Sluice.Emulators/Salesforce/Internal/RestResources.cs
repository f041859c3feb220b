namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// Every REST resource the emulator serves. SOQL (<c>query</c>, <c>queryAll</c>) and Bulk API 2.0 (<c>jobs</c>)
/// add themselves here, one line each.
/// </summary>
internal static class RestResources
{
    public static IReadOnlyList<IRestResource> Create(SalesforceState state, Func<RestCall, Task> dispatch)
    {
        var query = new Soql.QueryResource(state);
        return
        [
            new SObjectsResource(state),
            new CompositeResource(state, dispatch),
            new LimitsResource(state),
            query,
            new Bulk.JobsResource(state, query.Service),
        ];
    }
}
