namespace Sluice.Emulators.Segment;

/// <summary>
/// How <c>sluice emulate segment</c> listens and what it keeps. Every default is the one a user gets
/// without flags.
/// </summary>
public sealed class SegmentEmulatorOptions
{
    /// <summary>Address to bind. Default <c>127.0.0.1</c>; <c>0.0.0.0</c> listens on every interface.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port. Default 9100; 0 picks a free port (read it back from <see cref="SegmentEmulator.BaseUrl"/>).</summary>
    public int Port { get; init; } = 9100;

    /// <summary>
    /// Write keys to accept. Default <c>null</c>: any non-empty key is accepted, as Segment's stateless edge
    /// does. When set, any other key gets <c>400 {"success":false,"message":"An invalid write key was provided"}</c>
    /// (real Segment would answer 200 and drop the data, which hides a misconfigured key; the emulator makes
    /// it visible instead).
    /// </summary>
    public IReadOnlyCollection<string>? WriteKeys { get; init; }

    /// <summary>
    /// How many event bodies to keep for listing. Default 2,000,000. Past it the oldest bodies are dropped;
    /// message ids, dedup and every counter are kept regardless.
    /// </summary>
    public int RetainMessages { get; init; } = 2_000_000;

    /// <summary>Failures to inject. Default: none. Change at run time with <see cref="SegmentEmulator.SetFaults"/>.</summary>
    public SegmentFaultOptions Faults { get; init; } = new();

    /// <summary>
    /// Where <see cref="SegmentEmulator.PushEngageAsync"/> (and <c>POST /__emulator/engage</c>) deliver Engage audiences
    /// and computed traits, as Segment Engage does to a webhook destination. Default none (<c>--engage-webhook</c>).
    /// </summary>
    public Uri? EngageWebhook { get; init; }

    /// <summary>The webhook destination's shared secret: each push is signed with it (<c>X-Signature</c>). Default none: unsigned.</summary>
    public string? EngageSecret { get; init; }

    /// <summary>The Engage space the pushes name (<c>context.personas.space_id</c>). Default <c>spa_emulator</c>.</summary>
    public string EngageSpaceId { get; init; } = "spa_emulator";

    /// <summary>Clock for <c>receivedAt</c> and injected delays. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Host names (as in the <c>Host</c> header) the admin API under <c>/__emulator</c> answers to besides loopback and
    /// the bound address (<c>--allowed-host</c>): a web page using DNS rebinding reaches the emulator under its own name and
    /// is refused with 421, so it cannot read what was sent. <c>*</c> allows any. The emulated API itself answers any host.
    /// </summary>
    public IReadOnlyCollection<string> AllowedHosts { get; init; } = [];
}
