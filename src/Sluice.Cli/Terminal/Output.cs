using Spectre.Console;

namespace Sluice.Cli.Terminal;

/// <summary>How the CLI speaks: errors in red on stderr, hints dimmed, plain text when output is not a terminal.</summary>
internal static class Output
{
    private static readonly IAnsiConsole Stderr = CreateStderr();

    /// <summary>No colours and no wrapping when output goes to a file or a pipe: logs stay greppable.</summary>
    public static void Configure()
    {
        if (Console.IsOutputRedirected || Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 })
        {
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
                Out = new AnsiConsoleOutput(Console.Out),
            });
            AnsiConsole.Profile.Width = 4096;
        }
    }

    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public static void Error(string message) => Stderr.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");

    public static void Warn(string message) => Stderr.MarkupLine($"[yellow]warning:[/] {Markup.Escape(message)}");

    public static void Hint(string message) => Stderr.MarkupLine($"[grey]{Markup.Escape(message)}[/]");

    public static void Line(string message) => AnsiConsole.MarkupLine(Markup.Escape(message));

    public static void Ok(string message) => AnsiConsole.MarkupLine($"[green]✓[/] {Markup.Escape(message)}");

    public static void Fail(string message) => AnsiConsole.MarkupLine($"[red]✗[/] {Markup.Escape(message)}");

    private static IAnsiConsole CreateStderr()
    {
        var plain = Console.IsErrorRedirected || Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 };
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Ansi = plain ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = plain ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (plain)
        {
            console.Profile.Width = 4096;
        }

        return console;
    }

    /// <summary>A timestamped progress line of <c>sluice sync</c> when output is not a terminal (<c>run</c> and <c>demo</c> log through Sluice.Server.Logging).</summary>
    public static void Log(string message) =>
        AnsiConsole.MarkupLine($"[grey]{DateTimeOffset.UtcNow:HH:mm:ss}[/] {Markup.Escape(message)}");
}
