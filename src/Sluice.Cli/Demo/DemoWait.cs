namespace Sluice.Cli.Demo;

/// <summary>Waits for something the demo set going (a sync, the server, an emulator's pushes) to show its effect.</summary>
internal static class DemoWait
{
    /// <summary>How long any one effect may take before the demo gives up and says what it waited for.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromMinutes(1);

    /// <summary>Polls <paramref name="done"/> until it holds; a <see cref="TimeoutException"/> naming <paramref name="what"/> after <see cref="Limit"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> done, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (!await done())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"gave up waiting for {what}");
            }

            await Task.Delay(200, ct);
        }
    }
}
