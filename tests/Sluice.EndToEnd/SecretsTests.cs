using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Sluice.Emulators.Segment;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>
/// Secrets at rest, as a user runs them: a master key file, the write key stored with <c>sluice secrets set</c>, a
/// config that says <c>${secret:…}</c>; then no plaintext secret anywhere Sluice wrote.
/// </summary>
public sealed class SecretsTests
{
    private const string WriteKey = "wk_e2e_3b9f2c7d1a8e4f60";

    [Fact]
    public async Task A_sync_with_its_write_key_from_the_store_leaves_the_key_nowhere_sluice_wrote()
    {
        await using var bed = await TestBed.CreateAsync(nameof(A_sync_with_its_write_key_from_the_store_leaves_the_key_nowhere_sluice_wrote),
            """
            CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz NOT NULL);
            INSERT INTO users SELECT i, 'user' || i || '@example.com', '2024-01-01'::timestamptz + i * interval '1 second' FROM generate_series(1, 20) i;
            """,
            at => $"""
                {at.Connections(writeKey: "\"${secret:SEGMENT_WRITE_KEY}\"", requestsPerSecond: 10000)}
                state:
                  master_key_file: master.key
                syncs:
                  users_to_segment:
                    source:
                      connection: app
                      table: public.users
                      cursor: updated_at
                    destination:
                      connection: segment
                      call: identify
                    mapping:
                      user_id: id
                      traits:
                        email: email

                """,
            new SegmentEmulatorOptions { Port = 0, WriteKeys = [WriteKey] });
        var written = new List<string>();

        var (keyExit, keyOutput) = await bed.RunSluiceAsync("secrets", "new-key", "--file", "master.key");
        Assert.True(keyExit == 0, keyOutput);
        var (setExit, setOutput) = await bed.RunSluiceWithInputAsync(WriteKey + "\n", "secrets", "set", "SEGMENT_WRITE_KEY");
        Assert.True(setExit == 0, setOutput);
        written.Add(setOutput);

        var (syncExit, syncOutput) = await bed.RunSluiceAsync("sync", "users_to_segment");
        Assert.True(syncExit == 0, syncOutput);
        written.Add(syncOutput);
        Assert.Equal(20, bed.Emulator.Messages("identify").Select(m => m.UserId).Distinct().Count());

        foreach (var command in new[] { new[] { "status" }, ["explain", "users_to_segment", "7"], ["secrets", "list"], ["check"], ["plan", "users_to_segment"] })
        {
            written.Add((await bed.RunSluiceAsync(command)).Output);
        }

        Assert.Contains("SEGMENT_WRITE_KEY", written[^3], StringComparison.Ordinal);
        written.AddRange(await ScrapeRunningServerAsync(bed));
        written.Add(await DumpAsync(bed.Db));

        Assert.All(written, text => Assert.DoesNotContain(WriteKey, text, StringComparison.Ordinal));
        // The key the emulator checks really came from the store (a wrong one would have been refused).
        Assert.Contains("secret 'SEGMENT_WRITE_KEY' stored", written[0], StringComparison.Ordinal);
        Assert.DoesNotContain(await File.ReadAllTextAsync(Path.Combine(bed.Directory, "master.key")), written[^1], StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_config_naming_an_unknown_secret_says_how_to_store_it_and_a_key_file_others_can_read_is_refused()
    {
        await using var bed = await TestBed.CreateAsync(nameof(A_config_naming_an_unknown_secret_says_how_to_store_it_and_a_key_file_others_can_read_is_refused),
            "CREATE TABLE users (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL);",
            at => $"""
                {at.Connections(writeKey: "\"${secret:MISSING_KEY}\"")}
                state:
                  master_key_file: master.key
                syncs:
                  users_to_segment:
                    source:
                      connection: app
                      table: public.users
                      cursor: updated_at
                    destination:
                      connection: segment
                      call: identify
                    mapping:
                      user_id: id

                """);
        Assert.Equal(0, (await bed.RunSluiceAsync("secrets", "new-key", "--file", "master.key")).ExitCode);

        var (exit, output) = await bed.RunSluiceAsync("sync", "users_to_segment");

        Assert.Equal(2, exit);
        Assert.Contains("connections.segment.write_key: secret 'MISSING_KEY' is not in the state store", output, StringComparison.Ordinal);
        Assert.Contains("sluice secrets set MISSING_KEY", output, StringComparison.Ordinal);

        File.SetUnixFileMode(Path.Combine(bed.Directory, "master.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var (refusedExit, refused) = await bed.RunSluiceWithInputAsync("value\n", "secrets", "set", "MISSING_KEY");
        Assert.Equal(2, refusedExit);
        Assert.Contains("may be read by other users (mode 0640)", refused, StringComparison.Ordinal);
    }

    /// <summary>What a running <c>sluice run</c> serves (dashboard, /api/syncs, /metrics) and logs.</summary>
    private static async Task<IReadOnlyList<string>> ScrapeRunningServerAsync(TestBed bed)
    {
        // The dashboard, /api and /metrics are served by the admin listener; the ingest API has its own port.
        var port = FreePort();
        using var server = bed.StartSluice("run", "--listen", $"http://127.0.0.1:{FreePort()}", "--admin-listen", $"http://127.0.0.1:{port}");
        var stdout = server.StandardOutput.ReadToEndAsync();
        var stderr = server.StandardError.ReadToEndAsync();
        var pages = new List<string>();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            await Eventually.HoldsAsync(async () =>
            {
                Assert.False(server.HasExited, "sluice run exited early");
                try
                {
                    await http.GetStringAsync("/healthz");
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "sluice run listening");
            foreach (var path in new[] { "/", "/api/syncs", "/metrics" })
            {
                pages.Add(await http.GetStringAsync(path));
            }
        }
        finally
        {
            Stop(server);
            await server.WaitForExitAsync();
        }

        pages.Add(await stdout);
        pages.Add(await stderr);
        return pages;
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        }
    }

    /// <summary>The whole database as <c>pg_dump</c> writes it: the state schema's tables and everything else.</summary>
    internal static async Task<string> DumpAsync(NpgsqlDataSource db)
    {
        var builder = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        var start = new ProcessStartInfo("pg_dump") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-h", builder.Host!, "-p", builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", builder.Username!, "-d", builder.Database! })
        {
            start.ArgumentList.Add(arg);
        }

        using var dump = Process.Start(start)!;
        var text = dump.StandardOutput.ReadToEndAsync();
        var errors = dump.StandardError.ReadToEndAsync();
        await dump.WaitForExitAsync();
        Assert.True(dump.ExitCode == 0, await errors);
        var result = await text;
        Assert.Contains("COPY sluice.secrets", result, StringComparison.Ordinal);
        return result;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
