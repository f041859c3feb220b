using System.Diagnostics;
using System.Globalization;

namespace Sluice.Bench.Harness;

/// <summary>
/// <c>sluice run -c CONFIG --listen http://127.0.0.1:PORT</c> as a child process on a free port, returned once
/// <c>GET /healthz</c> answers: the ingest API and every continuous sync of the config are then running.
/// </summary>
internal static class SluiceRunChild
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    public static async Task<(ChildProcess Process, Uri Uri)> StartAsync(string sluice, string config, string work, string logPath, HttpClient http, CancellationToken ct)
    {
        var port = FreePort.Next();
        var uri = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var process = ChildProcess.Start(sluice, ["run", "-c", config, "--listen", uri.ToString().TrimEnd('/'), "--admin-listen", "http://127.0.0.1:0"], work, logPath);
        try
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (process.HasExited)
                {
                    throw new BenchFailure($"sluice run exited with {process.ExitCode}; last lines of {process.LogPath}:\n{process.Tail()}");
                }

                try
                {
                    using var response = await http.GetAsync(new Uri(uri, "/healthz"), ct);
                    if (response.IsSuccessStatusCode)
                    {
                        return (process, uri);
                    }
                }
                catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
                {
                    // Not listening yet.
                }

                if (clock.Elapsed > ReadyTimeout)
                {
                    throw new BenchFailure($"sluice run did not answer GET {uri}healthz within {ReadyTimeout.TotalSeconds:0} s; last lines of {process.LogPath}:\n{process.Tail()}");
                }

                await Task.Delay(100, ct);
            }
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }
}
