using System.CommandLine;
using Sluice.Cli.Terminal;
using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Segment;

namespace Sluice.Cli.Commands;

/// <summary>
/// <c>sluice emulate segment</c>: a local Segment HTTP API that records what it receives;
/// <c>sluice emulate salesforce</c>: a local Salesforce org in memory.
/// </summary>
internal static class EmulateCommand
{
    public static Command Create()
    {
        var command = new Command("emulate", "Run a local emulator of an external API, to preview syncs before touching production.");
        command.Subcommands.Add(Segment());
        command.Subcommands.Add(Salesforce());
        return command;
    }

    private static Command Salesforce()
    {
        var host = new Option<string>("--host") { Description = "Address to listen on. Default 127.0.0.1 (this machine only).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port (0 picks a free one).", DefaultValueFactory = _ => 9200 };
        var orgFile = new Option<string?>("--org") { Description = "Org file (YAML): users, connected apps, daily API limit, custom objects and fields." };
        var tokenTtl = new Option<string>("--token-ttl") { Description = "How long access tokens live, e.g. 2h, 15m, 30s.", DefaultValueFactory = _ => "2h" };
        var requestLimit = new Option<double>("--request-limit-rate") { Description = "Share of API requests answered 403 REQUEST_LIMIT_EXCEEDED (0..1)." };
        var unavailable = new Option<double>("--unavailable-rate") { Description = "Share of API requests answered 503 SERVER_UNAVAILABLE (0..1)." };
        var lockRow = new Option<double>("--lock-row-rate") { Description = "Share of saved records failing with UNABLE_TO_LOCK_ROW (0..1)." };
        var drops = new Option<double>("--drop-connection-rate") { Description = "Share of API requests whose connection is dropped without an answer (0..1)." };
        var slowRate = new Option<double>("--slow-rate") { Description = "Share of API requests answered late (0..1)." };
        var slowDelay = new Option<double>("--slow-delay") { Description = "Seconds a slow answer waits.", DefaultValueFactory = _ => 2 };
        var rotate = new Option<bool>("--rotate-refresh-tokens")
        {
            Description = "Rotate refresh tokens, as a connected app with 'Enable Refresh Token Rotation' does: each refresh answers with a new refresh token and the old one is refused.",
        };
        var allowedHosts = AllowedHostOption();
        var command = new Command("salesforce",
            """
            A local Salesforce org in memory behind Salesforce's own API: OAuth 2.0 (password, client credentials,
            JWT bearer, refresh token), REST v31.0-v62.0 (describe, CRUD, upsert, collections, composite, limits,
            getUpdated/getDeleted), the org's validation rules and Salesforce's error codes.
              GET  /__emulator/records/Contact   what a sync wrote
              GET  /__emulator/requests          the request log
              PUT  /__emulator/faults            inject REQUEST_LIMIT_EXCEEDED, 503, UNABLE_TO_LOCK_ROW, slow answers
            Point a 'type: salesforce' connection's login_url at it. See docs/emulators.md.
            """)
        {
            host, port, orgFile, tokenTtl, requestLimit, unavailable, lockRow, drops, slowRate, slowDelay, rotate, allowedHosts,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var ttlText = parse.GetValue(tokenTtl)!;
            var ttl = ParseDuration(ttlText) ?? throw Core.Errors.SluiceException.Config($"--token-ttl \"{ttlText}\" is not a duration; use e.g. 2h, 15m or 30s.");
            var file = parse.GetValue(orgFile);
            await using var emulator = await SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                Org = file is null ? null : OrgFile.Load(file),
                TokenTtl = ttl,
                RotateRefreshTokens = parse.GetValue(rotate),
                AllowedHosts = parse.GetValue(allowedHosts) ?? [],
                Faults = new SalesforceFaultOptions
                {
                    RequestLimitRate = parse.GetValue(requestLimit),
                    ServiceUnavailableRate = parse.GetValue(unavailable),
                    LockRowRate = parse.GetValue(lockRow),
                    DropConnectionRate = parse.GetValue(drops),
                    SlowRate = parse.GetValue(slowRate),
                    SlowDelay = TimeSpan.FromSeconds(parse.GetValue(slowDelay)),
                },
            }, ct);
            var org = emulator.Org.Definition;
            Output.Line($"Salesforce emulator listening on {emulator.InstanceUrl} (org {emulator.Org.OrganizationId})");
            Output.Line($"  login:   {emulator.InstanceUrl}/services/oauth2/token  (user {org.Users[0].Username}, client id {org.ConnectedApps[0].ClientId})");
            Output.Line($"  inspect: {emulator.BaseUrl}__emulator/stats, {emulator.BaseUrl}__emulator/records/Account, {emulator.BaseUrl}__emulator/requests");
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

    private static Option<string[]> AllowedHostOption() => new("--allowed-host")
    {
        Description = "A host name the admin API (/__emulator) answers to besides 127.0.0.1, localhost and --host (repeatable): other names get 421, so that a web page using DNS rebinding cannot read it.",
        AllowMultipleArgumentsPerToken = false,
    };

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
        var engageWebhook = new Option<Uri?>("--engage-webhook") { Description = "Push Engage audiences and traits here when asked (POST /__emulator/engage), as Segment Engage does to a webhook destination." };
        var engageSecret = new Option<string?>("--engage-secret") { Description = "Sign Engage pushes with this shared secret (X-Signature, hex HMAC-SHA1 of the body)." };
        var retain = new Option<int>("--retain") { Description = "Event bodies kept for listing (ids and counts are always kept).", DefaultValueFactory = _ => 2_000_000 };
        var allowedHosts = AllowedHostOption();
        var command = new Command("segment",
            """
            A local Segment HTTP Tracking API (/v1/batch, /v1/identify, …, the browser short paths) with Segment's
            limits, answers and messageId deduplication. It records everything it receives:
              GET  /__emulator/stats       counts: received, unique, duplicates, dropped, by type
              GET  /__emulator/messages    the events (?type=identify&userId=42&limit=100)
              PUT  /__emulator/faults      inject 429s, 5xx, slow answers, dropped connections
              POST /__emulator/engage      push Engage deliveries to --engage-webhook (signed with --engage-secret)
            Point a 'type: segment' connection at it with 'endpoint: http://127.0.0.1:9100'. See docs/emulators.md.
            """)
        {
            host, port, writeKeys, rateLimit, retryAfter, serverErrors, drops, slowRate, slowDelay, retain, engageWebhook, engageSecret, allowedHosts,
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
                AllowedHosts = parse.GetValue(allowedHosts) ?? [],
                EngageWebhook = parse.GetValue(engageWebhook),
                EngageSecret = parse.GetValue(engageSecret),
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

    /// <summary>Reads <c>30s</c>, <c>15m</c>, <c>2h</c>, <c>1d</c>, plain seconds or <c>hh:mm:ss</c>; null when it is none of those.</summary>
    private static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        if (text.Length == 0)
        {
            return null;
        }

        var unit = text[^1];
        var number = char.IsAsciiLetter(unit) ? text[..^1] : text;
        if (double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return unit switch
            {
                's' or 'S' => TimeSpan.FromSeconds(value),
                'm' or 'M' => TimeSpan.FromMinutes(value),
                'h' or 'H' => TimeSpan.FromHours(value),
                'd' or 'D' => TimeSpan.FromDays(value),
                _ when char.IsAsciiDigit(unit) => TimeSpan.FromSeconds(value),
                _ => null,
            };
        }

        return TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero ? span : null;
    }
}
