using Sluice.Core.Configuration;

namespace Sluice.Salesforce.Connection;

/// <summary>An access token and where to use it, held in memory only.</summary>
/// <param name="AccessToken">Sent as <c>Authorization: Bearer</c>; never printed.</param>
/// <param name="InstanceUrl">The org's URL from the token response (or the configured one).</param>
/// <param name="RefreshAfter">When to log in again before Salesforce's session timeout ends it.</param>
internal sealed record SalesforceToken(Secret AccessToken, Uri InstanceUrl, DateTimeOffset RefreshAfter);
