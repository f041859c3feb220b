namespace Sluice.Emulators.Salesforce.Org;

/// <summary>One error of a record, as Salesforce reports it (<c>statusCode</c> in collection results, <c>errorCode</c> at top level).</summary>
/// <param name="StatusCode">E.g. <c>REQUIRED_FIELD_MISSING</c>.</param>
/// <param name="Message">Salesforce's message text.</param>
/// <param name="Fields">The fields concerned, possibly none.</param>
public sealed record SaveError(string StatusCode, string Message, IReadOnlyList<string> Fields)
{
    /// <summary>An error that names no field.</summary>
    public SaveError(string statusCode, string message)
        : this(statusCode, message, [])
    {
    }
}
