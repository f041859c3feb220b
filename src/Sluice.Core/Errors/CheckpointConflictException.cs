namespace Sluice.Core.Errors;

/// <summary>
/// The stored checkpoint is not the one this run started from: something else moved it.
/// The run stops rather than overwrite progress it did not make.
/// </summary>
public sealed class CheckpointConflictException(string syncName)
    : SluiceException(ErrorClass.Fatal, $"sync '{syncName}': the checkpoint was moved by someone else during this run; the run stopped without overwriting it")
{
    public string SyncName { get; } = syncName;
}
