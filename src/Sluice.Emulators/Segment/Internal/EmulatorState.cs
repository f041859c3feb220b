using System.Collections.Frozen;
using Sluice.Core.Errors;
using Sluice.Segment.Protocol;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>What the HTTP endpoints share: the current store and fault settings, both swappable at run time.</summary>
internal sealed class EmulatorState(SegmentEmulatorOptions options, CancellationToken stopping)
{
    private readonly FrozenSet<string>? _writeKeys = options.WriteKeys?.ToFrozenSet(StringComparer.Ordinal);
    private MessageStore _store = new(options.RetainMessages);
    private FaultInjector _faults = new(options.Faults);

    public SegmentEmulatorOptions Options { get; } = options;

    public TimeProvider Time { get; } = options.TimeProvider;

    /// <summary>Cancelled when the emulator stops, to cut injected delays short.</summary>
    public CancellationToken Stopping { get; } = stopping;

    public MessageStore Store => Volatile.Read(ref _store);

    /// <summary>Pushes Engage deliveries to <see cref="SegmentEmulatorOptions.EngageWebhook"/>.</summary>
    public EngagePusher Engage { get; } = new(options.EngageWebhook, options.EngageSecret, options.EngageSpaceId, options.TimeProvider);

    public FaultInjector Faults => Volatile.Read(ref _faults);

    public void Reset() => Volatile.Write(ref _store, new MessageStore(Options.RetainMessages));

    public void SetFaults(SegmentFaultOptions faults)
    {
        var problems = SegmentOptionsValidator.Check(faults);
        if (problems.Count > 0)
        {
            throw SluiceException.Config("Invalid Segment emulator faults: " + string.Join(" ", problems));
        }

        Volatile.Write(ref _faults, new FaultInjector(faults));
    }

    /// <summary>
    /// Segment's edge is stateless: any non-empty key is accepted, an empty one gets 400 (reference §1.2).
    /// With <see cref="SegmentEmulatorOptions.WriteKeys"/> set, only those keys are.
    /// </summary>
    public bool Accepts(string? writeKey) =>
        !string.IsNullOrEmpty(writeKey) && (_writeKeys is null || _writeKeys.Contains(writeKey));

    /// <summary>Now, truncated to the millisecond Segment's timestamps carry, so the skew arithmetic round-trips.</summary>
    public long NowTicks() => SegmentTimestamps.NowTicks(Time);
}
