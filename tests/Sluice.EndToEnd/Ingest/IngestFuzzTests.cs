using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Npgsql;
using Sluice.Testing.Fuzz;

namespace Sluice.EndToEnd.Ingest;

/// <summary>
/// Random hostile JSON (odd keys, surrogates, NULs, numbers past every type, deep and wide objects, type changes,
/// bytes that are not UTF-8) sent through the real <c>sluice run</c> with both landing syncs running. It holds when
/// no answer is a 5xx, every event answered 200 lands in each destination or is dead-lettered there with a reason,
/// and a clean event sent after it all still lands. The seed is fixed here; <c>bench/</c> runs the same generator
/// longer with any seed (<c>dotnet run -c Release --project bench/Sluice.Bench -- fuzz</c>).
/// </summary>
public sealed class IngestFuzzTests
{
    private const ulong Seed = 20261206;
    private const int Requests = 250;
    private static readonly TimeSpan LandingDeadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Hostile_events_are_refused_with_a_reason_or_land_or_are_dead_lettered_and_a_canary_still_lands()
    {
        await using var bed = await IngestLandingBed.StartAsync(nameof(IngestFuzzTests));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var api = new Uri(bed.Url);

        var traffic = await HostileTraffic.SendAsync(http, api, IngestLandingBed.WriteKey, HostileSegmentCalls.Generate(Requests, Seed));

        Assert.True(traffic.BadAnswers.Count == 0, $"answers with nothing to fix:\n{string.Join("\n", traffic.BadAnswers)}\nsluice run printed:\n{bed.Output}");
        Assert.True(traffic.Accepted.Count >= Requests / 2, $"only {traffic.Accepted.Count} calls accepted of {Requests} requests: the generator no longer reaches the landing syncs");

        await SendCanaryAsync(http, api);
        await WaitForCanaryAsync(bed);

        // The canary landed, so every event queued before it was read; its batch's dead letters commit with the
        // batch's ledger, which may trail the rows by a moment.
        var check = new IngestLandingCheck(bed.Db, new IngestLandingTargets("web", "public.events", "web_events", "web", "web_warehouse"));
        var clock = Stopwatch.StartNew();
        IngestLandingReport report;
        while (!(report = await check.CheckAsync(traffic.Accepted)).Holds && clock.Elapsed < LandingDeadline)
        {
            await Task.Delay(250);
        }

        Assert.True(report.Holds, $"{report}\n{string.Join("\n", report.Violations.Take(50))}\ndead letters by reason:\n{await DeadLetterReasonsAsync(bed.Db)}\nsluice run printed:\n{bed.Output}");
        Assert.True(report.LandedInEventsTable > 0 && report.LandedInWarehouse > 0, report.ToString());
    }

    private static async Task SendCanaryAsync(HttpClient http, Uri api)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(api, "/v1/track"))
        {
            Content = new StringContent("""{"type":"track","messageId":"fz-canary","userId":"canary","event":"Canary"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(IngestLandingBed.WriteKey + ":")));
        using var answer = await http.SendAsync(request);
        Assert.Equal(200, (int)answer.StatusCode);
    }

    private static async Task WaitForCanaryAsync(IngestLandingBed bed)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var inWarehouse = await CountAsync(bed.Db, "SELECT count(*) FROM web.tracks WHERE id = 'fz-canary'");
            var inEvents = await CountAsync(bed.Db, "SELECT count(*) FROM public.events WHERE metadata->>'messageId' = 'fz-canary'");
            if (inWarehouse == 1 && inEvents == 1)
            {
                return;
            }

            Assert.True(clock.Elapsed < LandingDeadline,
                $"the canary sent after the hostile events did not land within {LandingDeadline.TotalSeconds:0} s (warehouse {inWarehouse}, events table {inEvents}): a sync stopped.\nsluice run printed:\n{bed.Output}");
            await Task.Delay(250);
        }
    }

    private static async Task<string> DeadLetterReasonsAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand(
            "SELECT s.name || ': ' || count(*) || ' × ' || left(d.reason, 300) FROM sluice.dead_letters d JOIN sluice.syncs s ON s.id = d.sync_id GROUP BY s.name, d.reason ORDER BY count(*) DESC LIMIT 20");
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add("  " + reader.GetString(0));
        }

        return string.Join("\n", lines);
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql)
    {
        try
        {
            await using var command = db.CreateCommand(sql);
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            return 0;
        }
    }
}
