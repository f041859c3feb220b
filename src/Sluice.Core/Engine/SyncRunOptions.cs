using Sluice.Core.Configuration;
using Sluice.Core.Records;

namespace Sluice.Core.Engine;

/// <summary>Tuning of one sync's delivery. Batch limits never exceed the destination's own.</summary>
public sealed class SyncRunOptions
{
    /// <summary>Records per batch; capped at the destination's limit. <c>null</c>: the destination's limit.</summary>
    public int? BatchSize { get; init; }

    /// <summary>
    /// For a streaming source, how long a batch that is not full may wait for more records (<c>batch.flush_window</c>);
    /// <c>null</c>: the destination's <see cref="Connectors.DestinationLimits.FlushWindow"/>.
    /// </summary>
    public TimeSpan? FlushWindow { get; init; }

    public RetryOptions Retry { get; init; } = new();

    /// <summary>The share of the destination's budget this run uses. Default <see cref="DeliveryLane.Live"/>.</summary>
    public DeliveryLane Lane { get; init; } = DeliveryLane.Live;

    /// <summary>
    /// The sync's mode (<c>on:</c>): which kinds of change a diffing source reports are sent. Default
    /// <see cref="ChangeKinds.AddedOrChanged"/>. Changes of other kinds are not sent, but their fingerprints
    /// are stored all the same, so that the next run compares with what the source last returned.
    /// </summary>
    public ChangeKinds On { get; init; } = ChangeKinds.AddedOrChanged;

    /// <summary>Where <see cref="On"/> was configured, for errors; <c>null</c> when it was not.</summary>
    public ConfigLocation? OnLocation { get; init; }

    /// <summary>
    /// <c>max_rejected</c>: past this many records dead-lettered or quarantined in one run (a count or a share of the
    /// records read), the run stops; what it committed stays committed. <c>null</c>: no limit.
    /// </summary>
    public Processing.RejectionLimit? MaxRejected { get; init; }

    /// <summary>The default of <see cref="MaxWait"/>: seven days.</summary>
    public static readonly TimeSpan DefaultMaxWait = TimeSpan.FromDays(7);

    /// <summary>
    /// <c>max_wait</c>: how long a record the destination or a processor answered "waiting" for is offered again, at
    /// the start of each run, before it becomes a dead letter with its last reason. Default seven days.
    /// </summary>
    public TimeSpan MaxWait { get; init; } = DefaultMaxWait;

    /// <summary>
    /// <c>reconcile: every 1d</c>: how often a source that reads only what changed reads every record instead, so that
    /// deleted records are found (<see cref="Configuration.Reconcile"/>). The source honours it; <c>null</c>: never.
    /// </summary>
    public TimeSpan? Reconcile { get; init; }

    /// <summary>Where <see cref="Reconcile"/> was configured, for errors; <c>null</c> when it was not.</summary>
    public ConfigLocation? ReconcileLocation { get; init; }
}
