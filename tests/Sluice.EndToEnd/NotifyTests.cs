using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Sluice.Emulators.Segment;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>
/// <c>notify:</c> through the binary (docs/alerting.md): a sync that starts failing is announced to the webhook once,
/// its recovery once, whatever the number of checks and of <c>sluice run</c> processes.
/// </summary>
public sealed class NotifyTests
{
    private const string Users = """
        CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz NOT NULL);
        INSERT INTO users SELECT i, 'user' || i || '@example.com', '2024-01-01'::timestamptz + i * interval '1 second' FROM generate_series(1, 10) i;
        """;

    [Fact]
    public async Task A_refused_write_key_is_announced_once_and_its_recovery_once_by_two_processes()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var bed = await TestBed.CreateAsync(nameof(A_refused_write_key_is_announced_once_and_its_recovery_once_by_two_processes), Users,
            at => Config(at, "the-wrong-key", receiver.Url), new SegmentEmulatorOptions { Port = 0, WriteKeys = ["the-right-key"] });

        await RunTwoUntilAsync(bed, receiver, messages: 1);
        var message = Parse(Assert.Single(receiver.Received).Body);
        Assert.Equal("users_sync", message.GetProperty("sync").GetString());
        Assert.Equal("needs_attention", message.GetProperty("transition").GetString());
        var failed = message.GetProperty("reasons").EnumerateArray().Single(r => r.GetProperty("kind").GetString() == "failed");
        Assert.Contains("the write key was refused", failed.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("application/json", receiver.Received[0].ContentType, StringComparison.Ordinal);

        var (exit, output) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath);
        Assert.True(exit == 1, output);
        Assert.Contains("the write key was refused", output, StringComparison.Ordinal);

        // Fixed: two processes again, the next run succeeds, and the webhook hears it once.
        await File.WriteAllTextAsync(bed.ConfigPath, (await File.ReadAllTextAsync(bed.ConfigPath)).Replace("the-wrong-key", "the-right-key", StringComparison.Ordinal));
        await RunTwoUntilAsync(bed, receiver, messages: 2);
        Assert.Equal(2, receiver.Received.Count);
        var recovered = Parse(receiver.Received[1].Body);
        Assert.Equal("recovered", recovered.GetProperty("transition").GetString());
        Assert.Equal("ok", recovered.GetProperty("state").GetString());
        Assert.Equal(["failed"], recovered.GetProperty("previous").EnumerateArray().Select(k => k.GetString()!).ToArray());
        (exit, output) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
    }

    /// <summary>
    /// Runs two <c>sluice run</c> processes until the webhook holds <paramref name="messages"/> messages and five more runs
    /// (each process checking every second meanwhile) have happened, then stops them. Returns the runs after the message.
    /// </summary>
    private static async Task<long> RunTwoUntilAsync(TestBed bed, WebhookReceiver receiver, int messages)
    {
        var processes = new[] { Start(bed), Start(bed) };
        try
        {
            await Eventually.HoldsAsync(() =>
            {
                Assert.DoesNotContain(processes, p => p.HasExited);
                return receiver.Received.Count >= messages;
            }, $"{messages} webhook message(s)", limit: TimeSpan.FromSeconds(90), state: () => string.Join("\n", receiver.Received.Select(r => r.Body)));
            var runsThen = (long)(await bed.ScalarAsync("SELECT count(*) FROM sluice.runs"))!;
            long runs = 0;
            await Eventually.HoldsAsync(async () =>
            {
                Assert.DoesNotContain(processes, p => p.HasExited);
                runs = (long)(await bed.ScalarAsync("SELECT count(*) FROM sluice.runs"))! - runsThen;
                return runs >= 5;
            }, "five more runs", limit: TimeSpan.FromSeconds(90));
            Assert.Equal(messages, receiver.Received.Count);
            return runs;
        }
        finally
        {
            foreach (var process in processes)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                process.Dispose();
            }
        }
    }

    private static Process Start(TestBed bed)
    {
        var process = bed.StartSluice("run", "-c", bed.ConfigPath, "--listen", $"http://127.0.0.1:{FreePort()}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static JsonElement Parse(string body) => JsonDocument.Parse(body).RootElement.Clone();

    private static string Config(TestBedEndpoints at, string writeKey, Uri hook) => $"""
        {at.Connections(writeKey: writeKey)}
        notify:
          url: {hook}
          format: json
          every: 1s
        syncs:
          users_sync:
            schedule: every 1s
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
        """;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
