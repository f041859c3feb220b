using Sluice.Core.Mapping;
using Sluice.Core.State;

namespace Sluice.Core.Engine;

public sealed partial class SyncRunner
{
    /// <summary>
    /// The run's audit record: the mapping's fields (names and transforms, never values), the destination, and
    /// what the run committed. Also for a failed or cancelled run: the batches it committed before it stopped were sent.
    /// </summary>
    private RunAudit Audit(SyncDefinition sync, CompiledMapping mapping, Run? run, DateTimeOffset started) =>
        new(sync.DestinationConnection, sync.Destination.Description, mapping.SentFields,
            run?.Acknowledged ?? 0, run?.Rejected ?? 0, RunActor.Current, started, _time.GetUtcNow());

    private sealed partial class Run
    {
        /// <summary>Records acknowledged and committed so far; read once the run's stages have stopped.</summary>
        public long Acknowledged => Interlocked.Read(ref _acknowledged);

        /// <summary>Records dead-lettered and committed so far.</summary>
        public long Rejected => Interlocked.Read(ref _rejected);
    }
}
