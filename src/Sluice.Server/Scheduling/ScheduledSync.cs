using Sluice.Core.Configuration;

namespace Sluice.Server.Scheduling;

/// <summary>A sync as the scheduler runs it.</summary>
/// <param name="Schedule">When it starts (a manual sync is never started).</param>
/// <param name="RunFirst">
/// The syncs its <c>after:</c> runs before it on each of its runs, each once, every parent before its children
/// (<see cref="SyncDependencies.RunFirst"/>).
/// </param>
internal sealed record ScheduledSync(string Name, Schedule Schedule, IReadOnlyList<string> RunFirst);
