using Sluice.Core.Configuration;
using Sluice.Core.Engine;

namespace Sluice.Server.Hosting;

/// <summary>Reads a sync's engine settings (<c>batch:</c>, <c>retry:</c>) from its config.</summary>
internal static class SyncOptions
{
    public static SyncRunOptions Bind(SyncConfig sync)
    {
        var batch = sync.Section.GetSection("batch");
        var retry = sync.Section.GetSection("retry");
        var defaults = new RetryOptions();
        var options = new SyncRunOptions
        {
            BatchSize = batch?.GetInt("size", 1, 100_000),
            Retry = new RetryOptions
            {
                MaxAttempts = retry?.GetInt("max_attempts", 1, 1000) ?? defaults.MaxAttempts,
                BaseDelay = retry?.GetDuration("base_delay") ?? defaults.BaseDelay,
                MaxDelay = retry?.GetDuration("max_delay") ?? defaults.MaxDelay,
            },
        };
        batch?.RejectUnknownKeys();
        retry?.RejectUnknownKeys();
        sync.Section.RejectUnknownKeys(["source", "destination", "mapping", "schedule", "batch", "retry"]);
        return options;
    }
}
