namespace Sluice.Cli.Commands;

/// <summary>What <c>sluice</c> exits with, for scripts: 0 ok, 1 the work failed, 2 the command or config is wrong.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}
