using System.Collections.Concurrent;
using Sluice.Core.Connectors;

namespace Sluice.Testing.Doubles;

/// <summary>
/// An <see cref="IdAssigningDestination"/> that already holds some records, found by key (find-or-create, as Salesforce
/// Contacts are found by email): <see cref="IRecordMatching"/> answers their ids, and records each call.
/// </summary>
public sealed class MatchingDestination(IReadOnlyDictionary<string, string> existing) : IdAssigningDestination, IRecordMatching
{
    private readonly ConcurrentQueue<IReadOnlyList<string>> _calls = new();

    /// <summary>The keys asked for, one entry per call.</summary>
    public IReadOnlyList<IReadOnlyList<string>> MatchCalls => [.. _calls];

    public Task<IReadOnlyList<string?>> MatchAsync(IReadOnlyList<EncodedRecord> records, CancellationToken ct)
    {
        _calls.Enqueue(records.Select(r => r.Change.Key).ToList());
        return Task.FromResult<IReadOnlyList<string?>>(records.Select(r => existing.GetValueOrDefault(r.Change.Key)).ToList());
    }
}
