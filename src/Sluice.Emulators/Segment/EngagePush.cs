using System.Text.Json;

namespace Sluice.Emulators.Segment;

/// <summary>
/// One delivery the emulator pushes to an Engage webhook (<see cref="SegmentEmulatorOptions.EngageWebhook"/>), shaped
/// as Segment Engage sends it to a webhook destination (docs/emulators.md, "Engage deliveries").
/// </summary>
public sealed record EngagePush
{
    /// <summary><c>entered</c> or <c>exited</c> (an audience), or <c>trait</c> (a computed trait).</summary>
    public required string Kind { get; init; }

    public required string UserId { get; init; }

    /// <summary>The audience key or the trait key (<c>context.personas.computation_key</c>).</summary>
    public required string Key { get; init; }

    /// <summary>For a trait: its new value. Ignored for an audience.</summary>
    public JsonElement? Value { get; init; }

    /// <summary>When Engage computed it (the call's <c>timestamp</c>); an older one pushed later is out of order.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary><c>identify</c> (traits <c>{key: value}</c>, the default) or <c>track</c> (<c>Audience Entered</c>/<c>Exited</c>, <c>Trait Computed</c>).</summary>
    public string As { get; init; } = "identify";

    /// <summary>Default: derived from kind, user, key and timestamp, so pushing the same change again is a duplicate.</summary>
    public string? MessageId { get; init; }

    /// <summary>How many times the same request is sent (2 or more: Segment retrying a delivery). Default 1.</summary>
    public int Times { get; init; } = 1;
}
