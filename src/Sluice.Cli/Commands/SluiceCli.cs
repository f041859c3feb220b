using System.CommandLine;
using System.Runtime.InteropServices;
using Sluice.Cli.Terminal;

namespace Sluice.Cli.Commands;

/// <summary>The <c>sluice</c> command line: one subcommand per thing a user does.</summary>
public static class SluiceCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        Output.Configure();
        var root = new RootCommand(
            """
            Sluice keeps PostgreSQL and the tools around it (Segment, Salesforce, other databases) in sync,
            from a declarative sluice.yaml, with PostgreSQL as its only infrastructure.

            Start here:   sluice demo            everything locally, with demo data
                          sluice check           validate sluice.yaml and test every connection
                          sluice sync NAME       run one sync now
                          sluice run             the server: ingest API, scheduled and real-time syncs, dashboard
                          sluice status          every sync's state, and the lag of real-time (CDC) syncs
                          sluice explain S KEY   why did this record (not) sync?
            """ + "\n" + DocsPages());
        root.Options.Add(CliOptions.Config);
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(SyncCommand.Create());
        root.Subcommands.Add(BackfillCommand.Create());
        root.Subcommands.Add(PlanCommand.Create());
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(GrantsCommand.Create());
        root.Subcommands.Add(ExplainCommand.Create());
        root.Subcommands.Add(DlqCommand.Create());
        root.Subcommands.Add(QuarantineCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(AlertsCommand.Create());
        root.Subcommands.Add(PruneCommand.Create());
        root.Subcommands.Add(SecretsCommand.Create());
        root.Subcommands.Add(EmulateCommand.Create());

        // `sluice` alone is someone finding their way: the help, not an error about a missing command.
        var parse = root.Parse(args.Length == 0 ? ["--help"] : args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                Output.Error(error.Message);
            }

            Output.Hint($"see 'sluice {string.Join(' ', parse.CommandResult.Command == root ? [] : [parse.CommandResult.Command.Name])} --help'".Replace("  ", " ", StringComparison.Ordinal));
            return ExitCodes.Usage;
        }

        // Ctrl-C and SIGTERM cancel the command, which stops cleanly (committed progress is kept); a second
        // Ctrl-C kills the process at once. The commands own the exit code.
        using var stop = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, stop.Token);

        void Stop(PosixSignalContext signal)
        {
            if (!stop.IsCancellationRequested)
            {
                signal.Cancel = true;
                Output.Hint("stopping… (Ctrl-C again to kill)");
                stop.Cancel();
            }
        }
    }

    /// <summary>The root help's last lines: README.md and every page of docs/ (their names compiled in from the checkout), wrapped.</summary>
    private static string DocsPages()
    {
        var names = typeof(SluiceCli).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .Where(a => a.Key == "SluiceDocsPages")
            .SelectMany(a => (a.Value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
            .Order(StringComparer.Ordinal)
            .Select(n => "docs/" + n);
        var text = new System.Text.StringBuilder("Docs (in the source repository): README.md");
        var lineLength = text.Length;
        foreach (var name in names)
        {
            var separator = lineLength + name.Length + 2 > 100 ? ",\n  " : ", ";
            lineLength = separator.Length > 2 ? 2 + name.Length : lineLength + 2 + name.Length;
            text.Append(separator).Append(name);
        }

        return text.ToString();
    }
}
