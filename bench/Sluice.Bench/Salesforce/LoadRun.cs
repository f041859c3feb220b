namespace Sluice.Bench.Salesforce;

/// <summary>One writer (a <c>sluice sync</c> or jsforce's bulk2 upsert) against its own emulator, measured.</summary>
/// <param name="Name">bulk, collections, jsforce or incremental.</param>
/// <param name="WallSeconds">From process start to exit: start-up, login, describe, reading, writing, waiting for the job.</param>
/// <param name="CpuSeconds">User plus system time of the process (not the emulator's).</param>
/// <param name="PeakRssMegabytes">The process's peak resident memory (VmHWM, polled).</param>
/// <param name="Records">Records the run wrote: the rows loaded, or the rows changed.</param>
/// <param name="Acknowledged">What the writer says succeeded: the sync's "acknowledged", jsforce's successful results.</param>
/// <param name="ApiRequests">Requests counted against the org's daily API limit during the run (everything under <c>/services/data/vXX.X/</c>).</param>
/// <param name="Logins">Token requests (<c>/services/oauth2/token</c>, SOAP login): not API requests, listed apart.</param>
/// <param name="Calls">The API requests by kind, from the emulator's request log.</param>
/// <param name="AccountsHeld">Live Accounts in the emulator after the run.</param>
/// <param name="Problem">What is wrong with the Accounts the emulator holds; null when every one is as expected.</param>
/// <param name="Summary">The sync's own summary line, or jsforce's JSON line.</param>
internal sealed record LoadRun(
    string Name,
    string Command,
    double WallSeconds,
    double CpuSeconds,
    double PeakRssMegabytes,
    int Records,
    long? Acknowledged,
    int ApiRequests,
    int Logins,
    IReadOnlyDictionary<string, int> Calls,
    int AccountsHeld,
    string? Problem,
    string? Summary)
{
    /// <summary>The emulator's own API counter after the run (<c>apiRequestsUsed</c> in its stats), since the emulator started: a check on <see cref="ApiRequests"/>.</summary>
    public int ApiRequestsUsedTotal { get; init; }

    /// <summary>When the first request (usually the login) reached the emulator, in seconds after the process started: its start-up.</summary>
    public double? FirstRequestSeconds { get; init; }

    /// <summary>When the last request reached the emulator, in seconds after the process started; the rest of the wall time is answering it and exiting.</summary>
    public double? LastRequestSeconds { get; init; }

    /// <summary>Each request, <c>+seconds after start, kind, status</c>, when the run made few enough to list.</summary>
    public IReadOnlyList<string> Timeline { get; init; } = [];

    /// <summary>
    /// The emulator's user plus system time from the writer's start to its exit (its request handling and the job's
    /// processing; the bench's own admin reads come after): the server's share of the two cores, the same work for every writer.
    /// </summary>
    public double? EmulatorCpuSeconds { get; init; }

    /// <summary><see cref="EmulatorCpuSeconds"/> per record written, in microseconds.</summary>
    public double? EmulatorCpuMicrosecondsPerRecord => EmulatorCpuSeconds * 1e6 / Math.Max(1, Records);

    public double RecordsPerSecond => Records / WallSeconds;

    /// <summary>The process's CPU time per record written, in microseconds: comparable across runs on a loaded machine, where wall time is not.</summary>
    public double CpuMicrosecondsPerRecord => CpuSeconds * 1e6 / Math.Max(1, Records);

    public bool Correct => Problem is null;
}
