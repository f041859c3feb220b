namespace Sluice.Emulators.Salesforce.Org;

/// <summary>The outcome of one <see cref="SaveRequest"/>, in the request's position.</summary>
public sealed class SaveResult
{
    /// <summary>The record id: set on success, and on failure when the record was known (update, delete, a matched upsert).</summary>
    public string? Id { get; init; }

    /// <summary>Whether the change is committed.</summary>
    public bool Success => Errors.Count == 0;

    /// <summary>For insert and upsert: whether a record was created.</summary>
    public bool Created { get; init; }

    /// <summary>Why it failed; empty on success.</summary>
    public IReadOnlyList<SaveError> Errors { get; init; } = [];

    /// <summary>For an upsert whose external id matched several records: their ids (REST answers 300).</summary>
    public IReadOnlyList<string> MultipleMatches { get; init; } = [];

    /// <summary>The sObject type the record belongs to, when known.</summary>
    public string? ObjectName { get; init; }

    internal static SaveResult Failed(string? id, string? objectName, SaveError error) =>
        new() { Id = id, ObjectName = objectName, Errors = [error] };
}
