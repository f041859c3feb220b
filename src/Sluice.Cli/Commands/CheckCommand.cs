using System.CommandLine;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Server.Hosting;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice check</c>: validate the config and test every connection and sync, plainly.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var command = new Command("check",
            """
            Validate the config, connect to every system, and check every sync's table, columns and mapping.
            Sends nothing. Exits 0 when all is well, 1 when something failed, 2 when the config itself is invalid.
            """);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var path = parse.GetValue(CliOptions.Config)!;
            var config = SluiceConfig.Load(path);
            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            // The validation `sluice run` starts with: what run refuses, check refuses the same way (exit 2).
            await workspace.ValidateAsync();
            Output.Ok($"{path}: {config.Connections.Count} connections, {config.Syncs.Count} syncs");
            var failures = 0;
            foreach (var result in await workspace.CheckAsync(ct))
            {
                if (result.Ok)
                {
                    Output.Ok(result.What);
                    foreach (var info in result.Info)
                    {
                        Output.Line($"  {info}");
                    }

                    foreach (var advice in result.Advice)
                    {
                        Output.Warn($"{result.What}: {advice}");
                    }
                }
                else
                {
                    failures++;
                    Output.Fail($"{result.What}: {result.Problem}");
                }
            }

            return failures == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        }));
        return command;
    }
}
