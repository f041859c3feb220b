namespace Sluice.Emulators.Salesforce.Internal;

/// <summary>
/// A top-level REST resource under <c>/services/data/vXX.X/</c>, found by its first path segment
/// (<c>sobjects</c>, <c>composite</c>, <c>query</c>, <c>jobs</c>, …). Register new ones in <see cref="RestResources"/>.
/// </summary>
internal interface IRestResource
{
    /// <summary>First path segments this resource serves, e.g. <c>["query", "queryAll"]</c>.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>Answers the call. Authentication, version, limits, faults and logging are done already.</summary>
    Task HandleAsync(RestCall call);
}
