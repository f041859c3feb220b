using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Sluice.Bench.Harness;

/// <summary>
/// <c>sluice emulate segment --retain 10000</c> as a child process on a free port, returned once
/// <c>GET /__emulator/stats</c> answers. It keeps every messageId for deduplication, but only the last
/// 10,000 bodies: a million retained bodies would cost it ~700 MB and GC time on the shared cores.
/// A benchmark that reads the bodies back (the cdc latency phase) asks for as many as it needs.
/// </summary>
internal static class EmulatorChild
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    public const int DefaultRetain = 10_000;

    public static async Task<(ChildProcess Process, Uri Uri)> StartAsync(
        string sluice, string work, string logPath, HttpClient http, CancellationToken ct, int retain = DefaultRetain)
    {
        var port = FreePort.Next();
        var uri = new Uri($"http://127.0.0.1:{port}");
        var process = ChildProcess.Start(
            sluice, ["emulate", "segment", "--port", port.ToString(CultureInfo.InvariantCulture), "--retain", retain.ToString(CultureInfo.InvariantCulture)], work, logPath);
        try
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                if (process.HasExited)
                {
                    throw new BenchFailure($"the Segment emulator exited with {process.ExitCode}; last lines of {process.LogPath}:\n{process.Tail()}");
                }

                try
                {
                    await EmulatorStats.FetchAsync(http, uri, ct);
                    return (process, uri);
                }
                catch (Exception e) when (IsUnanswered(e, ct) && deadline.Elapsed < ReadyTimeout)
                {
                    await Task.Delay(100, ct);
                }
                catch (Exception e) when (IsUnanswered(e, ct))
                {
                    throw new BenchFailure($"the Segment emulator did not answer GET {uri}__emulator/stats within {ReadyTimeout.TotalSeconds:0} s ({e.Message}); last lines of {process.LogPath}:\n{process.Tail()}");
                }
            }
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>The emulator's stats, or a <see cref="BenchFailure"/> saying it did not answer.</summary>
    public static async Task<EmulatorStats> StatsAsync(HttpClient http, Uri uri, CancellationToken ct)
    {
        try
        {
            return await EmulatorStats.FetchAsync(http, uri, ct);
        }
        catch (Exception e) when (IsUnanswered(e, ct))
        {
            throw new BenchFailure($"could not read the emulator's stats from {uri}__emulator/stats: {e.Message}");
        }
    }

    private static bool IsUnanswered(Exception e, CancellationToken ct) =>
        e is HttpRequestException or JsonException || (e is TaskCanceledException && !ct.IsCancellationRequested);
}
