using System.Diagnostics;

namespace Sluice.Testing;

/// <summary>
/// A lock held across test processes (parallel test runs install tools once, not over each other): an exclusively
/// opened file in the temp folder, released when the returned stream is disposed.
/// </summary>
public static class CrossProcessLock
{
    public static async Task<FileStream> AcquireAsync(string name, TimeSpan timeout)
    {
        var path = Path.Combine(Path.GetTempPath(), name);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < timeout)
            {
                await Task.Delay(250);
            }
        }
    }
}
