using System.CommandLine;
using Sluice.Cli.Terminal;
using Sluice.Emulators.Segment;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice emulate segment</c>: a local Segment HTTP API that records what it receives.</summary>
internal static class EmulateCommand
{
    public static Command Create()
    {
        var command = new Command("emulate", "Run a local emulator of an external API, to preview syncs before touching production.");
        command.Subcommands.Add(Segment());
        return command;
    }

    private static Command Segment()
    {
        var host = new Option<string>("--host") { Description = "Address to listen on. Default 127.0.0.1 (this machine only).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 9100 };
        var writeKeys = new Option<string[]>("--write-key") { Description = "Accept only this write key (repeatable). Default: any non-empty key, like Segment's edge.", AllowMultipleArgumentsPerToken = false };
        var rateLimit = new Option<double>("--rate-limit-rate") { Description = "Share of requests answered 429 with Retry-After (0..1)." };
        var retryAfter = new Option<int>("--retry-after") { Description = "Seconds in Retry-After on injected 429s.", DefaultValueFactory = _ => 1 };
        var serverErrors = new Option<double>("--server-error-rate") { Description = "Share of requests answered 5xx (0..1)." };
        var drops = new Option<double>("--drop-connection-rate") { Description = "Share of requests whose connection is dropped without an answer (0..1)." };
        var slowRate = new Option<double>("--slow-rate") { Description = "Share of requests answered late (0..1)." };
        var slowDelay = new Option<double>("--slow-delay") { Description = "Seconds a slow answer waits.", DefaultValueFactory = _ => 2 };
        var retain = new Option<int>("--retain") { Description = "Event bodies kept for listing (ids and counts are always kept).", DefaultValueFactory = _ => 2_000_000 };
        var command = new Command("segment",
            """
            A local Segment HTTP Tracking API (/v1/batch, /v1/identify, …, the browser short paths) with Segment's
            limits, answers and messageId deduplication. It records everything it receives:
              GET  /__emulator/stats       counts: received, unique, duplicates, dropped, by type
              GET  /__emulator/messages    the events (?type=identify&userId=42&limit=100)
              PUT  /__emulator/faults      inject 429s, 5xx, slow answers, dropped connections
            Point a 'type: segment' connection at it with 'endpoint: http://127.0.0.1:9100'. See docs/emulators.md.
            """)
        {
            host, port, writeKeys, rateLimit, retryAfter, serverErrors, drops, slowRate, slowDelay, retain,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var keys = parse.GetValue(writeKeys);
            await using var emulator = await SegmentEmulator.StartAsync(new SegmentEmulatorOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                WriteKeys = keys is { Length: > 0 } ? keys : null,
                RetainMessages = parse.GetValue(retain),
                Faults = new SegmentFaultOptions
                {
                    RateLimitRate = parse.GetValue(rateLimit),
                    RetryAfterSeconds = parse.GetValue(retryAfter),
                    ServerErrorRate = parse.GetValue(serverErrors),
                    DropConnectionRate = parse.GetValue(drops),
                    SlowRate = parse.GetValue(slowRate),
                    SlowDelay = TimeSpan.FromSeconds(parse.GetValue(slowDelay)),
                },
            }, ct);
            Output.Line($"Segment emulator listening on {emulator.BaseUrl}");
            Output.Line($"  send:    POST {emulator.BaseUrl}v1/batch (write key as Basic auth user)");
            Output.Line($"  inspect: {emulator.BaseUrl}__emulator/stats, {emulator.BaseUrl}__emulator/messages");
            Output.Hint("Ctrl-C to stop");
            try
            {
                await emulator.WaitForShutdownAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl-C or SIGTERM: a normal stop.
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
