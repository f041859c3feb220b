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
            Sends nothing. Exits 0 when all is well, 2 when the config is wrong (invalid, or naming a table, column or
            object that is not there), 1 when something else failed (a server down, a refused login).
            """);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var path = parse.GetValue(CliOptions.Config)!;
            var config = SluiceConfig.Load(path);
            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            // The validation `sluice run` starts with: what run refuses, check refuses the same way (exit 2).
            await workspace.ValidateAsync();
            Output.Ok($"{path}: {config.Connections.Count} connections, {config.Syncs.Count} syncs");
            foreach (var literal in LiteralSecrets.Find(config))
            {
                // A warning, not an error: the file works; it only should not hold the secret itself (docs/secrets.md).
                Output.Warn(literal.Message);
            }

            var failures = 0;
            var configErrors = 0;
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
                    configErrors += result.IsConfigError ? 1 : 0;
                    Output.Fail($"{result.What}: {result.Problem}");
                    foreach (var advice in result.Advice)
                    {
                        Output.Warn($"{result.What}: {advice}");
                    }
                }
            }

            // A mistake in the config exits 2 here as from every other command (`sluice sync` refuses the same misspelt
            // column with 2); only what the config cannot fix (a server down, a refused login) is a failure, 1.
            return configErrors > 0 ? ExitCodes.Usage : failures == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        }));
        return command;
    }
}
