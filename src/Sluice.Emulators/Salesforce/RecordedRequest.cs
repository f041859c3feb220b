namespace Sluice.Emulators.Salesforce;

/// <summary>One request the emulator answered, for the request log (admin API and <see cref="SalesforceEmulator.Requests"/>).</summary>
/// <param name="Time">When it arrived.</param>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Path and query string.</param>
/// <param name="Status">HTTP status answered (0 for a dropped connection).</param>
/// <param name="CallOptions">The client's <c>Sforce-Call-Options</c> header (e.g. <c>client=sluice</c>), if sent.</param>
/// <param name="Fault">The injected fault, if any: <c>request-limit</c>, <c>unavailable</c>, <c>dropped</c>, <c>slow</c>.</param>
public sealed record RecordedRequest(DateTimeOffset Time, string Method, string Path, int Status, string? CallOptions, string? Fault);
