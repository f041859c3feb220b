using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Server;
using Sluice.Server.Hosting;
using Sluice.Server.Logging;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice run</c>: the long-running server.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var listen = new Option<string?>("--listen") { Description = "Ingest API address (default: server.listen in the config, else http://127.0.0.1:7080)." };
        var adminListen = new Option<string?>("--admin-listen")
        {
            Description = "Dashboard, admin API and /metrics address (default: server.admin_listen in the config, else http://127.0.0.1:7081). Beyond 127.0.0.1 it needs server.admin_token.",
        };
        var logFormat = new Option<LogFormat>("--log-format")
        {
            Description = "How log lines are written: text (timestamp, level, message; the default) or json (one object per line). See docs/logging.md.",
            DefaultValueFactory = _ => LogFormat.Text,
        };
        var logLevel = new Option<LogLevel>("--log-level")
        {
            Description = "The least severe events logged: debug, information (the default), warning or error.",
            DefaultValueFactory = _ => LogLevel.Information,
        };
        var command = new Command("run",
            """
            Run the server: every sync with a 'schedule:' runs on it, every streaming sync (a 'cdc:' source, an
            ingest source) runs continuously, the ingest API accepts events for each 'type: ingest' connection
            (Segment's Tracking API and POST /v1/events), and the dashboard and /metrics show their state on
            their own listener (server.admin_listen, this machine only unless server.admin_token is set).
            Start more 'sluice run' processes against the same state database to share the work: a sync
            never runs twice at once, every process accepts events, and a standby takes a continuous sync over
            within seconds when the process running it stops. Stop with Ctrl-C; committed progress is kept.
            """)
        {
            listen,
            adminListen,
            logFormat,
            logLevel,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            await workspace.ValidateAsync();
            await workspace.StateAsync(ct);
            using var logs = ConsoleLogging.Create(parse.GetValue(logFormat), parse.GetValue(logLevel));
            await new SluiceServer(workspace, logs).RunAsync(parse.GetValue(listen), parse.GetValue(adminListen), ct);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
