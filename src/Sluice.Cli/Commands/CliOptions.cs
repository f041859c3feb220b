using System.CommandLine;

namespace Sluice.Cli.Commands;

/// <summary>Options shared by several commands.</summary>
internal static class CliOptions
{
    public static readonly Option<string> Config = new("--config", "-c")
    {
        Description = "The config file (default: $SLUICE_CONFIG, else ./sluice.yaml). See docs/config.md.",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SLUICE_CONFIG") is { Length: > 0 } path ? path : "sluice.yaml",
    };
}
