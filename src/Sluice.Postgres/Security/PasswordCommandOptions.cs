namespace Sluice.Postgres.Security;

/// <summary><c>password_command:</c>: a command that prints a short-lived password (an RDS IAM token, say) on stdout.</summary>
public sealed class PasswordCommandOptions
{
    public static readonly TimeSpan DefaultRefresh = TimeSpan.FromMinutes(10);

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The program and its arguments, run without a shell; or one item, a command line run by <c>/bin/sh -c</c>
    /// (so pipes and <c>$VARIABLES</c> work).
    /// </summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>How long a printed password is reused before the command runs again. Default 10 minutes (RDS IAM tokens live 15).</summary>
    public TimeSpan Refresh { get; init; } = DefaultRefresh;

    /// <summary>How long the command may run. Default 30 seconds.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>The command as a person would recognise it in a message: the program's name only, never its arguments (they may hold credentials).</summary>
    public string ProgramName => Command.Count == 1 ? "password_command" : $"password_command '{Path.GetFileName(Command[0])}'";
}
