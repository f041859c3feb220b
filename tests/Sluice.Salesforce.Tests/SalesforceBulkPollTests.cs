using System.Text.RegularExpressions;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Salesforce.Source;
using Sluice.Testing;

namespace Sluice.Salesforce.Tests;

/// <summary>
/// The poll after a load of records stamped within the lookback (a fresh import, a mass update): past one REST page it
/// reads the rest through one Bulk query job, hands on only the versions the load did not (a record changed or created
/// while the load's results were read, exactly once), re-sends none of the unchanged ones, and a read stopped inside
/// that job resumes with the rest, no more, no less.
/// </summary>
public sealed class SalesforceBulkPollTests
{
    [Fact]
    public async Task The_poll_after_a_load_reads_the_lookback_through_one_bulk_job_and_hands_on_only_what_changed_during_the_load()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(Enumerable.Range(1, 450).Select(i => $"Deal {i}"));
        await using var source = bed.Source(pageSize: 200, bulkPollThreshold: 100);
        string? created = null;

        var (changes, end) = await ReadChangingAsync(source, onFirst: () =>
        {
            // The load's job has run by the time its first row is handed on: these changes are not in it.
            bed.Update(ids[7], "Deal 8, changed during the load");
            created = bed.Opportunities(["Created during the load"])[0];
        });

        // Every record of the load once, then only the two versions the load could not see, once each: none of the 450
        // unchanged records (all stamped inside the lookback) is handed on again.
        Assert.Equal(ids, changes.Take(450).Select(c => c.Key));
        var polled = changes.Skip(450).ToList();
        Assert.Equal(new[] { ids[7], created! }.Order(StringComparer.Ordinal), polled.Select(c => c.Key).Order(StringComparer.Ordinal));
        Assert.Equal("Deal 8, changed during the load", bed.Value(polled.Single(c => c.Key == ids[7]), "Name"));
        Assert.Equal(ChangeKinds.Changed, polled.Single(c => c.Key == ids[7]).Kind);
        Assert.Equal(ChangeKinds.Added, polled.Single(c => c.Key == created).Kind);

        // Two Bulk query jobs (the load, the poll's lookback) and no REST page (a COUNT() sent the poll to its job), not a
        // REST page per 200.
        var requests = bed.Bed.Emulator.Requests;
        Assert.Equal(2, requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/jobs/query", StringComparison.Ordinal)));
        Assert.DoesNotContain(requests, r => r.Path.Contains("ORDER", StringComparison.OrdinalIgnoreCase) && r.Path.Contains("queryAll", StringComparison.Ordinal));

        Assert.Empty((await SourceBed.ReadAsync(source, end)).Changes);
    }

    [Fact]
    public async Task The_poll_right_after_a_load_counts_its_lookback_first_and_reads_a_large_one_by_bulk_without_a_sorted_rest_page()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(Enumerable.Range(1, 450).Select(i => $"Deal {i}"));
        await using var source = bed.Source(pageSize: 200, bulkPollThreshold: 100);

        var (changes, end) = await ReadChangingAsync(source, onFirst: () => bed.Update(ids[120], "Deal 121, changed during the load"));

        // The load, then only the version it could not see.
        Assert.Equal(ids, changes.Take(450).Select(c => c.Key));
        Assert.Equal(ids[120], Assert.Single(changes.Skip(450)).Key);

        // The lookback after a load holds the load's records when they were stamped recently (a fresh import): one COUNT()
        // says so, and the poll goes straight to its job. No REST page sorted by SystemModstamp, which makes the org sort
        // every record of the lookback to answer its first 2,000.
        var requests = bed.Bed.Emulator.Requests;
        Assert.DoesNotContain(requests, r => r.Path.Contains("ORDER", StringComparison.OrdinalIgnoreCase) && r.Path.Contains("queryAll", StringComparison.Ordinal));
        Assert.Single(requests, r => Uri.UnescapeDataString(r.Path).Contains("SELECT COUNT()", StringComparison.Ordinal));
        Assert.Equal(2, requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/jobs/query", StringComparison.Ordinal)));

        // The next poll is an ordinary one: a REST page, nothing handed on again.
        Assert.Empty((await SourceBed.ReadAsync(source, end)).Changes);
    }

    [Fact]
    public async Task After_a_load_whose_lookback_is_small_the_poll_reads_it_by_rest_as_before()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(Enumerable.Range(1, 50).Select(i => $"Deal {i}"));
        await using var source = bed.Source(pageSize: 200, bulkPollThreshold: 100);

        var (changes, _) = await ReadChangingAsync(source, onFirst: () => bed.Update(ids[9], "Deal 10, changed during the load"));

        Assert.Equal(ids, changes.Take(50).Select(c => c.Key));
        Assert.Equal(ids[9], Assert.Single(changes.Skip(50)).Key);
        // One job (the load's): the lookback's 51 versions are fewer than the threshold, so one REST page reads them.
        var requests = bed.Bed.Emulator.Requests;
        Assert.Single(requests, r => r.Method == "POST" && r.Path.EndsWith("/jobs/query", StringComparison.Ordinal));
        Assert.Single(requests, r => r.Path.Contains("ORDER", StringComparison.OrdinalIgnoreCase) && r.Path.Contains("queryAll", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_polls_bulk_job_reads_only_what_the_window_needs_and_the_records_not_handed_on_are_read_whole_by_id()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(Enumerable.Range(1, 450).Select(i => $"Deal {i}"));
        await using var source = bed.Source(pageSize: 200, bulkPollThreshold: 100);

        var (changes, _) = await ReadChangingAsync(source, onFirst: () => bed.Update(ids[300], "Deal 301, changed during the load"));
        var polled = Assert.Single(changes.Skip(450));
        Assert.Equal(ids[300], polled.Key);
        Assert.Equal("Deal 301, changed during the load", bed.Value(polled, "Name"));
        Assert.NotNull(bed.Value(polled, "CloseDate"));

        // The poll's job holds three columns a row, not every field the sync reads; the one record it found not handed
        // on came whole from one REST query by its id.
        var requests = bed.Bed.Emulator.Requests;
        var jobs = requests.Select(r => Regex.Match(r.Path, "^(.*/jobs/query/[^/?]+)$")).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Equal(2, jobs.Count);
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", bed.Bed.Emulator.IssueToken());
        var results = await http.GetStringAsync(new Uri(bed.Bed.Emulator.BaseUrl, jobs[1] + "/results"));
        Assert.Equal("\"Id\",\"SystemModstamp\",\"IsDeleted\"", results.Split('\n')[0]);
        Assert.Single(requests, r => r.Path.Contains("queryAll", StringComparison.Ordinal) && Uri.UnescapeDataString(r.Path).Contains("Id IN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task When_the_polls_job_finds_more_than_a_page_not_handed_on_a_second_job_reads_them_whole()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(Enumerable.Range(1, 450).Select(i => $"Deal {i}"));
        await using var source = bed.Source(pageSize: 200, bulkPollThreshold: 100);
        var changed = ids.Where((_, i) => i % 3 != 0).ToList();

        var (changes, end) = await ReadChangingAsync(source, onFirst: () =>
        {
            foreach (var id in changed)
            {
                bed.Update(id, "Changed during the load");
            }
        });

        // A mass update: 300 versions the load did not hand on, each once, every field; by a third job, not 2 REST queries per 200.
        var polled = changes.Skip(450).ToList();
        Assert.Equal(changed.Order(StringComparer.Ordinal), polled.Select(c => c.Key).Order(StringComparer.Ordinal));
        Assert.All(polled, c => Assert.Equal("Changed during the load", bed.Value(c, "Name")));
        Assert.Equal(3, bed.Bed.Emulator.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/jobs/query", StringComparison.Ordinal)));
        Assert.Empty((await SourceBed.ReadAsync(source, end)).Changes);
    }

    [Fact]
    public async Task A_read_stopped_inside_the_polls_bulk_job_resumes_with_the_rest_of_it_exactly_once()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(Enumerable.Range(1, 450).Select(i => $"Deal {i}"));
        await using var source = bed.Source(pageSize: 200, bulkPollThreshold: 100);
        var changed = new[] { ids[3], ids[210], ids[449] };

        var (changes, _) = await ReadChangingAsync(source, onFirst: () =>
        {
            foreach (var id in changed)
            {
                bed.Update(id, "Changed during the load");
            }
        });
        var polled = changes.Skip(450).ToList();
        Assert.Equal(changed.Order(StringComparer.Ordinal), polled.Select(c => c.Key).Order(StringComparer.Ordinal));

        for (var cut = 0; cut < polled.Count; cut++)
        {
            // Stopped after each of the job's changes: a checkpoint there reads the rest of them, and nothing handed on before.
            var (rest, end) = await SourceBed.ReadAsync(source, SourceBed.Stored(polled[cut].Position.ToCheckpoint()));
            Assert.Equal(polled.Skip(cut + 1).Select(c => c.Key).Order(StringComparer.Ordinal), rest.Select(c => c.Key).Order(StringComparer.Ordinal));
            Assert.Empty((await SourceBed.ReadAsync(source, end)).Changes);
        }
    }

    [Fact]
    public async Task A_load_checkpoint_leaves_the_jobs_rows_out_of_its_window_and_a_resumed_load_still_resends_none_of_them()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(Enumerable.Range(1, 7).Select(i => $"Deal {i}"));
        await using var source = bed.Source(bulkPageSize: 3);
        var (all, _) = await SourceBed.ReadAsync(source, null);
        Assert.Equal(ids, all.Select(c => c.Key));

        // Inside the load the window would grow with every row of the job, and a checkpoint is written per batch: the
        // rows the job holds are not written again, a resumed load reads them back from the job.
        var stopped = SourceBed.Stored(all[4].Position.ToCheckpoint());
        var stored = SalesforcePosition.Read(stopped)!;
        Assert.Equal("load", stored.Phase);
        Assert.Empty(stored.Window);

        // Resumed: the rest of the load, and the poll after it (every record is inside the lookback) re-sends none of the
        // rows handed on before the stop.
        var (rest, end) = await SourceBed.ReadAsync(source, stopped);
        Assert.Equal(ids.Skip(5), rest.Select(c => c.Key));
        Assert.Equal(7, SalesforcePosition.Read(end)!.Window.Count);
        Assert.Empty((await SourceBed.ReadAsync(source, end)).Changes);
    }

    [Fact]
    public async Task A_load_of_many_pages_has_its_polls_job_run_while_its_pages_are_read_and_still_hands_on_what_changed_meanwhile_once()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(Enumerable.Range(1, 450).Select(i => $"Deal {i}"));
        await using var source = bed.Source(pageSize: 200, bulkPageSize: 100, bulkPollThreshold: 100);

        var changes = new List<Change>();
        Change? last = null;
        using var limit = new CancellationTokenSource(Eventually.DefaultLimit);
        await using (var read = source.ReadAsync(new ReadRequest(SourceBed.Columns, null), limit.Token).GetAsyncEnumerator(limit.Token))
        {
            Assert.True(await read.MoveNextAsync());
            changes.Add(read.Current);

            // The sync holds the load's first row and asks for no more: the poll's job is created all the same, so the org
            // runs it while the load's pages are read, not after the last of them.
            await Eventually.HoldsAsync(() => PostedJobs(bed) == 2, "the poll's job created while the load's first row is held", TimeSpan.FromSeconds(30));

            // Changed after the poll's job was created, while the load's pages are read: not in that job.
            bed.Update(ids[7], "Deal 8, changed while the pages were read");
            var created = bed.Opportunities(["Created while the pages were read"])[0];
            while (await read.MoveNextAsync())
            {
                last = read.Current;
                if (!last.IsProgress)
                {
                    changes.Add(last);
                }
            }

            // Every record of the load once, then the two versions the load and the poll's job could not see, once each
            // (REST pages from the job's creation on find them), and none of the 450 unchanged records again.
            Assert.Equal(ids, changes.Take(450).Select(c => c.Key));
            var polled = changes.Skip(450).ToList();
            Assert.Equal(new[] { ids[7], created }.Order(StringComparer.Ordinal), polled.Select(c => c.Key).Order(StringComparer.Ordinal));
            Assert.Equal("Deal 8, changed while the pages were read", bed.Value(polled.Single(c => c.Key == ids[7]), "Name"));
        }

        // Two jobs (the load, the poll's); the sorted REST page the poll asked after its job started from that job's
        // creation, not from the lookback (the org would have sorted every record of it).
        var requests = bed.Bed.Emulator.Requests;
        Assert.Equal(2, PostedJobs(bed));
        var sorted = Assert.Single(requests, r => r.Path.Contains("ORDER", StringComparison.OrdinalIgnoreCase) && r.Path.Contains("queryAll", StringComparison.Ordinal));
        var floor = DateTimeOffset.Parse(Regex.Match(Uri.UnescapeDataString(sorted.Path).Replace('+', ' '), @"SystemModstamp > (\S+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var pollJob = requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/jobs/query", StringComparison.Ordinal)).ElementAt(1);
        Assert.True(floor >= pollJob.Time.AddSeconds(-2), $"the REST page read from {floor:O}, the poll's job was created at {pollJob.Time:O}");

        Assert.Empty((await SourceBed.ReadAsync(source, SourceBed.Stored(last!.Position.ToCheckpoint()))).Changes);
    }

    [Fact]
    public async Task A_read_stopped_inside_the_poll_begun_during_a_load_of_many_pages_resumes_with_the_rest_exactly_once()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(Enumerable.Range(1, 450).Select(i => $"Deal {i}"));
        await using var source = bed.Source(pageSize: 200, bulkPageSize: 100, bulkPollThreshold: 100);
        var changed = new[] { ids[3], ids[210], ids[449] };

        var (changes, end) = await ReadChangingAsync(source, onFirst: () =>
        {
            foreach (var id in changed)
            {
                bed.Update(id, "Changed during the load");
            }
        });
        Assert.Equal(ids, changes.Take(450).Select(c => c.Key));
        var polled = changes.Skip(450).ToList();
        Assert.Equal(changed.Order(StringComparer.Ordinal), polled.Select(c => c.Key).Order(StringComparer.Ordinal));
        Assert.Empty((await SourceBed.ReadAsync(source, end)).Changes);

        // Stopped after the load's last row, and after each change the poll handed on: a checkpoint there reads the rest,
        // and nothing handed on before.
        foreach (var (stop, rest) in new[] { (changes[449], polled) }.Concat(polled.Select((c, i) => (c, polled.Skip(i + 1).ToList()))))
        {
            var (again, after) = await SourceBed.ReadAsync(source, SourceBed.Stored(stop.Position.ToCheckpoint()));
            Assert.Equal(rest.Select(c => c.Key).Order(StringComparer.Ordinal), again.Select(c => c.Key).Order(StringComparer.Ordinal));
            Assert.Empty((await SourceBed.ReadAsync(source, after)).Changes);
        }
    }

    [Fact]
    public async Task The_loads_job_selects_the_syncs_fields_with_Id_and_SystemModstamp_and_not_the_system_fields_only_a_poll_needs()
    {
        await using var bed = await SourceBed.StartAsync();
        bed.Opportunities(["Deal 1", "Deal 2"]);
        await using var source = bed.Source();
        var (changes, _) = await SourceBed.ReadAsync(source, null);
        Assert.Equal(2, changes.Count);
        Assert.All(changes, c => Assert.Equal(ChangeKinds.Added, c.Kind));

        // CreatedDate and IsDeleted tell a poll's added, changed and deleted records apart; every row of a load is added.
        var job = bed.Bed.Emulator.Requests.Select(r => Regex.Match(r.Path, "^(.*/jobs/query/[^/?]+)$")).First(m => m.Success).Groups[1].Value;
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", bed.Bed.Emulator.IssueToken());
        var header = (await http.GetStringAsync(new Uri(bed.Bed.Emulator.BaseUrl, job + "/results"))).Split('\n')[0];
        Assert.Equal("\"Id\",\"Name\",\"StageName\",\"Amount\",\"CloseDate\",\"Account.Name\",\"Owner.Email\",\"SystemModstamp\"", header);
    }

    private static int PostedJobs(SourceBed bed) => bed.Bed.Emulator.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/jobs/query", StringComparison.Ordinal));

    [Fact]
    public void Bulk_poll_threshold_binds_with_a_default_and_zero_turns_it_off()
    {
        var defaults = SalesforceSourceOptions.Bind(ConfigSection.Parse("{connection: crm, object: Opportunity, fields: [Id]}"));
        var off = SalesforceSourceOptions.Bind(ConfigSection.Parse("{connection: crm, object: Opportunity, fields: [Id], bulk_poll_threshold: 0}"));

        Assert.Equal(10_000, defaults.BulkPollThreshold);
        Assert.Equal(0, off.BulkPollThreshold);
        Assert.Throws<ConfigException>(() => SalesforceSourceOptions.Bind(ConfigSection.Parse("{connection: crm, object: Opportunity, fields: [Id], bulk_poll_threshold: -1}")));
    }

    /// <summary>A whole first read, running <paramref name="onFirst"/> when its first record is handed on.</summary>
    private static async Task<(List<Change> Changes, Sluice.Core.Checkpoints.Checkpoint End)> ReadChangingAsync(SalesforceSource source, Action onFirst)
    {
        var changes = new List<Change>();
        Change? last = null;
        using var limit = new CancellationTokenSource(Eventually.DefaultLimit);
        await foreach (var change in source.ReadAsync(new ReadRequest(SourceBed.Columns, null), limit.Token))
        {
            last = change;
            if (change.IsProgress)
            {
                continue;
            }

            changes.Add(change);
            if (changes.Count == 1)
            {
                onFirst();
            }
        }

        return (changes, SourceBed.Stored(last!.Position.ToCheckpoint()));
    }
}
