namespace Sluice.Core.State;

/// <summary>A store that keeps no waiting records (a test double, a tool): there is never anything to offer again.</summary>
internal sealed class NoWaitingRecords : IWaitingRecords
{
    public static readonly NoWaitingRecords Instance = new();

    public Task<IReadOnlyList<WaitingRecord>> PageAsync(long afterId, int limit, CancellationToken ct) => Task.FromResult<IReadOnlyList<WaitingRecord>>([]);

    public Task SettleAsync(long runId, IReadOnlyList<WaitingOutcome> outcomes, CancellationToken ct) =>
        outcomes.Count == 0 ? Task.CompletedTask : throw new InvalidOperationException("this state store keeps no waiting records");
}
