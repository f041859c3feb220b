namespace Sluice.Core.State;

public enum RunStatus
{
    Running,
    Succeeded,
    Failed,
    Cancelled,

    /// <summary>The process died mid-run; noticed and recorded by the next run of the sync.</summary>
    Interrupted,
}
