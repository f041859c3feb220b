namespace Sluice.Core.Engine;

/// <summary>Hears what a run does, for progress bars and logs. Calls come from several threads.</summary>
public interface ISyncObserver
{
    void OnStarted(string syncName, long runId, long? estimate) { }

    void OnProgress(string syncName, RunProgress progress) { }

    void OnRetry(string syncName, string reason, TimeSpan delay, int attempt) { }

    void OnRejected(string syncName, string recordKey, string reason) { }

    /// <summary>Something about how the run reads that the user should know (<see cref="Connectors.ISource.Notice"/>).</summary>
    void OnNotice(string syncName, string notice) { }

    /// <summary>A batch committed: what it covered and how long it took from being cut (the engine's metrics and spans).</summary>
    void OnBatchCommitted(string syncName, CommittedBatch batch) { }
}
