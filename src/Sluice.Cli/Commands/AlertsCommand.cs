using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Server.Alerts;
using Sluice.Server.Hosting;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice alerts [--json]</c>: each metric alert's last value, state and last firing, from the state store.</summary>
internal static class AlertsCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("alerts",
            """
            Show each metric alert of the config ('alerts:'): its threshold, its state (ok or firing), the last value
            its SQL returned and when, how many times it crossed, and when it last fired and recovered. `sluice run`
            evaluates the alerts on their schedules; see docs/config.md ("Alerts") and docs/segment.md (S7).

            Exits 0, or 1 when an alert is firing or its last evaluation failed.

            Examples:
              sluice alerts
              sluice alerts --json
            """)
        {
            json,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            var alerts = AlertOptions.AllOf(config);
            var statuses = await workspace.AlertStatusAsync(ct);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(statuses, Json));
            }
            else if (statuses.Count == 0)
            {
                Output.Line($"{config.FilePath} declares no alerts.");
            }
            else
            {
                var table = new Table().Border(TableBorder.Simple)
                    .AddColumn("alert").AddColumn("schedule").AddColumn("threshold").AddColumn("state").AddColumn(new TableColumn("last value").RightAligned())
                    .AddColumn("evaluated").AddColumn(new TableColumn("crossings").RightAligned()).AddColumn("last fired").AddColumn("last recovered");
                foreach (var (status, alert) in statuses.Zip(alerts))
                {
                    table.AddRow(
                        Markup.Escape(status.Name),
                        Markup.Escape(alert.Schedule.ToString()),
                        Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{(alert.Direction == AlertDirection.Above ? "above" : "below")} {alert.Threshold} (clear at {alert.ClearAt})")),
                        status.State == AlertStep.Firing ? "[red]firing[/]" : "ok",
                        status.LastValue?.ToString(CultureInfo.InvariantCulture) ?? "-",
                        Markup.Escape(Time(status.LastEvaluatedAt)),
                        status.Crossings.ToString(CultureInfo.InvariantCulture),
                        Markup.Escape(status.LastFiredAt is { } fired ? $"{Time(fired)} at {status.LastFiredValue?.ToString(CultureInfo.InvariantCulture)}" : "never"),
                        Markup.Escape(status.LastRecoveredAt is null ? "never" : Time(status.LastRecoveredAt)));
                }

                AnsiConsole.Write(table);
                foreach (var status in statuses.Where(s => s.LastError is not null))
                {
                    Output.Fail($"{status.Name}: last evaluation failed: {status.LastError}");
                }
            }

            return statuses.Any(s => s.State == AlertStep.Firing || s.LastError is not null) ? ExitCodes.Failure : ExitCodes.Ok;
        }));
        return command;
    }

    private static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "never";
}
