namespace Sluice.Emulators.Salesforce.Org;

/// <summary>
/// Fields whose combined values are unique among an object's live records; a record with any of them null
/// is not constrained. A violation is <c>DUPLICATE_VALUE</c> with <see cref="Message"/>.
/// </summary>
/// <param name="Fields">The field names.</param>
/// <param name="Message">The error message Salesforce gives for a duplicate.</param>
public sealed record UniqueKey(IReadOnlyList<string> Fields, string Message);
