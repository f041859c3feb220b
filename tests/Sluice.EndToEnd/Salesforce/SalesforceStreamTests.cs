using System.Diagnostics;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Testing;

namespace Sluice.EndToEnd.Salesforce;

/// <summary>
/// <c>changes: stream</c> through the binary: Opportunities land in a PostgreSQL table by the initial load, then every
/// change follows by Change Data Capture within seconds; killed with SIGKILL while events stream, and restarted after
/// its replay id expired, the table ends equal to the org with no version written twice.
/// </summary>
public sealed class SalesforceStreamTests
{
    private const int Records = 20;
    private const int Edits = 300;

    private const string Table = """
        CREATE TABLE public.sf_opportunities (id text PRIMARY KEY, name text NOT NULL, stage text NOT NULL);
        CREATE TABLE public.writes (id text NOT NULL, name text NOT NULL);
        CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN INSERT INTO public.writes VALUES (NEW.id, NEW.name); RETURN NEW; END $$;
        CREATE TRIGGER log_writes AFTER INSERT OR UPDATE ON public.sf_opportunities FOR EACH ROW EXECUTE FUNCTION log_write();
        """;

    [Fact]
    public async Task A_streaming_sync_killed_while_events_stream_and_restarted_after_its_replay_id_expired_leaves_the_table_equal_to_the_org()
    {
        await using var org = await SalesforceOrgs.StartAsync();
        var ids = Save(org, [.. Enumerable.Range(1, Records).Select(i => Insert($"Deal {i}"))]);
        await using var bed = await TestBed.CreateAsync(nameof(A_streaming_sync_killed_while_events_stream_and_restarted_after_its_replay_id_expired_leaves_the_table_equal_to_the_org),
            Table,
            at => $"""
                {at.Connections(segment: false)}{SalesforceOrgs.Connection(org)}
                syncs:
                  opportunities:
                    source: {"{"}connection: crm, object: Opportunity, fields: [Id, Name, StageName], changes: stream{"}"}
                    destination: {"{"}connection: app, table: public.sf_opportunities, key: id, mode: sync{"}"}
                    mapping: {"{"}id: Id, name: Name, stage: StageName{"}"}

                """);

        // The initial load, then one change by the stream: it lands within seconds.
        Assert.True(await RunUntilKilledAsync(bed, async () =>
        {
            if (await CountAsync(bed, "SELECT count(*) FROM public.sf_opportunities") < Records)
            {
                return false;
            }

            var watch = Stopwatch.StartNew();
            Update(org, ids[0], "Deal 1, streamed");
            await Eventually.HoldsAsync(async () => await CountAsync(bed, "SELECT count(*) FROM public.sf_opportunities WHERE name = 'Deal 1, streamed'") == 1, "the streamed change");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"the change took {watch.Elapsed.TotalSeconds:0.0} s");
            return true;
        }));

        // Edits keep coming (each a new name, some deletes and creates) while the sync is killed twice mid-stream.
        // The edits go on until both kills are done, however slowly the runs start on a busy machine: a run is killed
        // only after it committed a checkpoint of its own, which needs events still arriving.
        using var killsDone = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            var random = new Random(7);
            for (var i = 1; i <= Edits || !killsDone.IsCancellationRequested; i++)
            {
                if (i % 25 == 0)
                {
                    Save(org, [Insert($"New {i}")]);
                }
                else if (i % 40 == 0)
                {
                    Delete(org, ids[random.Next(1, Records)]);
                }
                else
                {
                    var id = ids[random.Next(1, Records)];
                    if (org.Org.Find(id) is { IsDeleted: false })
                    {
                        Update(org, id, $"Edit {i}");
                    }
                }

                Thread.Sleep(20); // the pace of the edits, not a wait for anything
            }
        });
        var kills = 0;
        try
        {
            for (var run = 0; run < 2; run++)
            {
                // Killed once this run has committed a checkpoint of its own: mid-stream, with events behind it still coming.
                var before = await CheckpointAsync(bed);
                kills += await RunUntilKilledAsync(bed, async () => await CheckpointAsync(bed) is { } now && now != before) ? 1 : 0;
            }
        }
        finally
        {
            await killsDone.CancelAsync(); // stops the writer either way; an assertion above still fails the test
        }

        await writer;
        Assert.Equal(2, kills);

        // Down for longer than Salesforce retains events: the replay id has expired, a reconciliation poll finds the rest.
        Update(org, ids[1], "Changed while Sluice was down");
        Save(org, [Insert("Created while Sluice was down")]);
        org.ExpireChangeEvents();
        var difference = "";
        await RunUntilKilledAsync(bed, async () => (difference = await DifferenceAsync(bed, org)).Length == 0, () => difference);

        Assert.Equal("", await DifferenceAsync(bed, org));
        Assert.Equal(0L, await CountAsync(bed, "SELECT count(*) FROM (SELECT id, name FROM public.writes GROUP BY id, name HAVING count(*) > 1) twice"));
    }

    /// <summary>What the table and the org disagree on (<c>+</c> only in the org, <c>-</c> only in the table); empty when equal.</summary>
    private static async Task<string> DifferenceAsync(TestBed bed, SalesforceEmulator org)
    {
        var expected = org.Org.Records("Opportunity").Select(r => $"{r.Id} {r.Get("Name")}").Order(StringComparer.Ordinal).ToList();
        var actual = new List<string>();
        await using var command = bed.Db.CreateCommand("SELECT id || ' ' || name FROM public.sf_opportunities");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            actual.Add(reader.GetString(0));
        }

        return string.Join("; ", expected.Except(actual).Select(e => "+" + e).Concat(actual.Except(expected).Select(a => "-" + a)));
    }

    private static async Task<string?> CheckpointAsync(TestBed bed) =>
        await bed.ScalarAsync("SELECT value FROM sluice.checkpoints") as string;

    private static async Task<long> CountAsync(TestBed bed, string sql) => Convert.ToInt64(await bed.ScalarAsync(sql), System.Globalization.CultureInfo.InvariantCulture);

    private static SaveRequest Insert(string name) => new()
    {
        Operation = SaveOperation.Insert,
        ObjectName = "Opportunity",
        Fields = [new("Name", name), new("StageName", "Prospecting"), new("CloseDate", "2026-06-30")],
    };

    private static void Update(SalesforceEmulator org, string id, string name) =>
        Save(org, [new SaveRequest { Operation = SaveOperation.Update, Id = id, Fields = [new KeyValuePair<string, JsonNode?>("Name", name)] }]);

    private static void Delete(SalesforceEmulator org, string id)
    {
        if (org.Org.Find(id) is { IsDeleted: false })
        {
            Save(org, [new SaveRequest { Operation = SaveOperation.Delete, Id = id }]);
        }
    }

    private static List<string> Save(SalesforceEmulator org, IReadOnlyList<SaveRequest> requests)
    {
        var results = org.Org.Save(requests);
        Assert.All(results, r => Assert.True(r.Success, string.Join("; ", r.Errors.Select(e => e.Message))));
        return [.. results.Select(r => r.Id!)];
    }

    /// <summary>Starts <c>sluice sync</c> (it streams until stopped), waits for <paramref name="enough"/>, then SIGKILLs it; true when it was still running.</summary>
    private static async Task<bool> RunUntilKilledAsync(TestBed bed, Func<Task<bool>> enough, Func<string>? state = null)
    {
        using var process = bed.StartSluice("sync", "opportunities", "-c", bed.ConfigPath);
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        var watch = Stopwatch.StartNew();
        var reached = false;
        while (!process.HasExited && watch.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (await enough())
            {
                reached = true;
                break;
            }

            await Task.Delay(20);
        }

        var running = !process.HasExited;
        if (running)
        {
            process.Kill(entireProcessTree: true); // SIGKILL: no cleanup, nothing committed on the way out
        }

        await process.WaitForExitAsync();
        var printed = string.Concat(await output);
        Assert.True(running, $"sluice sync exited with {process.ExitCode}: {printed}");
        Assert.True(reached, $"not reached within the limit: {state?.Invoke()}\n{printed}");
        return running;
    }
}
