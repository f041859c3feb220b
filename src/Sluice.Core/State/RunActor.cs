namespace Sluice.Core.State;

/// <summary>Who ran a sync, as the audit log records it: the operating-system user, the machine and the process.</summary>
public sealed record RunActor(string OsUser, string Host, int ProcessId)
{
    /// <summary>This process.</summary>
    public static RunActor Current { get; } = new(Environment.UserName, Environment.MachineName, Environment.ProcessId);
}
