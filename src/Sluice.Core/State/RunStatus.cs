namespace Sluice.Core.State;

public enum RunStatus
{
    Running,
    Succeeded,
    Failed,
    Cancelled,
}
