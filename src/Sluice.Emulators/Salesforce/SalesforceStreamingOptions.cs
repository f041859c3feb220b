using Sluice.Core.Errors;

namespace Sluice.Emulators.Salesforce;

/// <summary>
/// How the emulator's Change Data Capture stream (the CometD endpoint <c>/cometd/{version}</c>) retains and publishes
/// change events. Every default is Salesforce's. Change at run time with <see cref="SalesforceEmulator.SetStreaming"/>
/// or <c>PUT /__emulator/streaming</c>.
/// </summary>
public sealed class SalesforceStreamingOptions
{
    /// <summary>How long an event can be replayed by its replay id. Default 72 hours; older replay ids are invalid.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(72);

    /// <summary>The most events kept for replay (oldest dropped first), so memory stays bounded. Default 100,000.</summary>
    public int MaxRetainedEvents { get; init; } = 100_000;

    /// <summary>How long a <c>/meta/connect</c> long-poll waits for an event before answering empty. Default 110 s, Salesforce's <c>advice.timeout</c>.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(110);

    /// <summary>
    /// When true every change is published as a gap event (<c>GAP_CREATE</c>, <c>GAP_UPDATE</c>, <c>GAP_DELETE</c>):
    /// header and record ids only, as Salesforce sends when it cannot build the event. Default false.
    /// </summary>
    public bool GapEvents { get; init; }

    /// <summary>
    /// Changes one transaction may make before the rest become one <c>GAP_OVERFLOW</c> event per object (no record
    /// ids). A create or delete counts one, an update one per changed field. Default 100,000, Salesforce's threshold.
    /// </summary>
    public int OverflowThreshold { get; init; } = 100_000;

    internal void Validate()
    {
        if (Retention <= TimeSpan.Zero || MaxRetainedEvents < 1 || ConnectTimeout <= TimeSpan.Zero || OverflowThreshold < 1)
        {
            throw SluiceException.Config("Streaming options: retention and connectTimeout must be positive, maxRetainedEvents and overflowThreshold at least 1.");
        }
    }
}
