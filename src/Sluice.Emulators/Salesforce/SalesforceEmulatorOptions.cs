using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Salesforce;

/// <summary>How <c>sluice emulate salesforce</c> listens and what org it serves. Every default is the one a user gets without flags.</summary>
public sealed class SalesforceEmulatorOptions
{
    /// <summary>Address to bind. Default <c>127.0.0.1</c>.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port. Default 9200; 0 picks a free port (read it back from <see cref="SalesforceEmulator.BaseUrl"/>).</summary>
    public int Port { get; init; } = 9200;

    /// <summary>The org: users, connected apps, limits, custom objects. Default <see cref="OrgDefinition.Default"/>; load a file with <see cref="OrgFile.Load"/>.</summary>
    public OrgDefinition? Org { get; init; }

    /// <summary>How long an access token lives. Default 2 hours, Salesforce's default session timeout.</summary>
    public TimeSpan TokenTtl { get; init; } = TimeSpan.FromHours(2);

    /// <summary>
    /// Refresh token rotation for every connected app of the org (<c>--rotate-refresh-tokens</c>), as the app's OAuth policy
    /// "Enable Refresh Token Rotation" sets it in a real org: each refresh answers with a new refresh token and the one
    /// sent is refused from then on. Default false (an app of the org file may still set <c>rotateRefreshTokens</c>).
    /// </summary>
    public bool RotateRefreshTokens { get; init; }

    /// <summary>Failures to inject. Default: none. Change at run time with <see cref="SalesforceEmulator.SetFaults"/>.</summary>
    public SalesforceFaultOptions Faults { get; init; } = new();

    /// <summary>Change Data Capture: event retention, gap and overflow events, the long-poll wait. Default: Salesforce's.</summary>
    public SalesforceStreamingOptions Streaming { get; init; } = new();

    /// <summary>How many requests the request log keeps (oldest dropped first). Default 100,000.</summary>
    public int RetainRequests { get; init; } = 100_000;

    /// <summary>Clock for tokens, audit fields and the daily request window. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Host names (as in the <c>Host</c> header) the admin API under <c>/__emulator</c> answers to besides loopback and
    /// the bound address (<c>--allowed-host</c>): a web page using DNS rebinding reaches the emulator under its own name and
    /// is refused with 421, so it cannot read what was sent. <c>*</c> allows any. The emulated API itself answers any host.
    /// </summary>
    public IReadOnlyCollection<string> AllowedHosts { get; init; } = [];
}
