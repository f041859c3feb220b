namespace Sluice.Core.Errors;

/// <summary>Another process (or this one) holds the run lock of the sync.</summary>
public sealed class SyncAlreadyRunningException(string syncName)
    : SluiceException(ErrorClass.Fatal, $"sync '{syncName}' is already running (another sluice process holds its lock); wait for it to finish or stop it first")
{
    public string SyncName { get; } = syncName;
}
