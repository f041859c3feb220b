using Microsoft.Extensions.Time.Testing;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Salesforce.Source;
using Sluice.Testing;

namespace Sluice.Salesforce.Tests;

/// <summary>
/// The Salesforce source against the emulator: the Bulk initial load, relationship fields, polls by the
/// (SystemModstamp, Id) keyset with a lookback — a record committed late is not missed, a tie across a page or a
/// checkpoint is not doubled — and deletes through queryAll and getDeleted.
/// </summary>
public sealed class SalesforceSourceTests
{
    [Fact]
    public async Task The_initial_load_reads_every_record_through_a_bulk_query_job_page_by_page_with_relationship_fields()
    {
        await using var bed = await SourceBed.StartAsync();
        var acme = bed.Account("Acme");
        var ids = bed.Opportunities(Enumerable.Range(1, 7).Select(i => $"Deal {i}"), acme);
        await using var source = bed.Source(bulkPageSize: 3);

        var (changes, _) = await SourceBed.ReadAsync(source, null);

        Assert.Equal(ids, changes.Select(c => c.Key));
        Assert.All(changes, c => Assert.Equal(ChangeKinds.Added, c.Kind));
        var first = changes[0];
        Assert.Equal("Deal 1", bed.Value(first, "Name"));
        Assert.Equal("Acme", bed.Value(first, "Account.Name"));
        Assert.Equal("admin@sluice.test", bed.Value(first, "Owner.Email"));
        Assert.Equal(1000m, bed.Value(first, "Amount"));
        Assert.Equal(new DateOnly(2026, 6, 30), bed.Value(first, "CloseDate"));
        var requests = bed.Bed.Emulator.Requests;
        Assert.Single(requests, r => r.Method == "POST" && r.Path.EndsWith("/jobs/query", StringComparison.Ordinal));
        Assert.Equal(3, requests.Count(r => r.Path.Contains("/results", StringComparison.Ordinal))); // 7 rows, 3 a page
    }

    [Fact]
    public async Task The_next_results_page_is_asked_for_while_the_rows_of_the_one_before_are_handed_on()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(Enumerable.Range(1, 7).Select(i => $"Deal {i}"));
        await using var source = bed.Source(bulkPageSize: 3);
        int Results() => bed.Bed.Emulator.Requests.Count(r => r.Path.Contains("/results", StringComparison.Ordinal));

        using var limit = new CancellationTokenSource(Eventually.DefaultLimit);
        var changes = source.ReadAsync(new ReadRequest(SourceBed.Columns, null), limit.Token).GetAsyncEnumerator(limit.Token);
        try
        {
            Assert.True(await changes.MoveNextAsync());
            Assert.Equal(ids[0], changes.Current.Key);

            // The first row is held, and the second page is already asked for; the third only once the second is read.
            await Eventually.HoldsAsync(() => Results() == 2, "the second results page asked for while the first row is held", state: () => $"{Results()} results requests");
        }
        finally
        {
            // Stopped inside the first page: the answer asked for ahead is let go, and nothing is left running.
            await changes.DisposeAsync();
        }

        Assert.Equal(2, Results());
        await using var again = bed.Source(bulkPageSize: 3);
        var (all, _) = await SourceBed.ReadAsync(again, null);
        Assert.Equal(ids, all.Select(c => c.Key));
    }

    [Fact]
    public async Task A_poll_hands_on_what_changed_since_and_nothing_it_handed_on_before()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(["A", "B", "C"]);
        await using var source = bed.Source();
        var (_, loaded) = await SourceBed.ReadAsync(source, null);

        bed.Update(ids[1], "B2");
        var (changed, polled) = await SourceBed.ReadAsync(source, loaded);
        var (again, _) = await SourceBed.ReadAsync(source, polled);

        var change = Assert.Single(changed);
        Assert.Equal(ids[1], change.Key);
        Assert.Equal("B2", bed.Value(change, "Name"));
        Assert.Equal(ChangeKinds.Changed, change.Kind);
        Assert.Empty(again);
        Assert.DoesNotContain(bed.Bed.Emulator.Requests, r => r.Path.Contains("/query?", StringComparison.Ordinal) && !r.Path.Contains("queryAll", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_record_committed_late_with_an_older_stamp_is_found_by_the_lookback_and_nothing_is_doubled()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(["Early", "Steady"]);
        await using var source = bed.Source(lookback: TimeSpan.FromMinutes(5));
        await using var naive = bed.Source(lookback: TimeSpan.Zero);
        var (_, loaded) = await SourceBed.ReadAsync(source, null);
        var (_, naiveLoaded) = await SourceBed.ReadAsync(naive, null);

        // "Early" is saved first, in a transaction that commits 3 s later; "Steady" is saved after it and seen at once.
        bed.Update(ids[0], "Early, committed late", new SaveOptions { CommitLag = TimeSpan.FromSeconds(3) });
        bed.Update(ids[1], "Steady 2");
        var (before, polled) = await SourceBed.ReadAsync(source, loaded);
        var (naiveBefore, naivePolled) = await SourceBed.ReadAsync(naive, naiveLoaded);
        Assert.Equal([ids[1]], before.Select(c => c.Key));
        Assert.Equal([ids[1]], naiveBefore.Select(c => c.Key));

        await Eventually.HoldsAsync(() => bed.Org.Records("Opportunity").Any(r => (string?)r.Get("Name") == "Early, committed late"), "the late transaction to commit");
        var (after, end) = await SourceBed.ReadAsync(source, polled);
        var (naiveAfter, _) = await SourceBed.ReadAsync(naive, naivePolled);
        var (last, _) = await SourceBed.ReadAsync(source, end);

        var late = Assert.Single(after); // the late record, and not "Steady 2" again
        Assert.Equal(ids[0], late.Key);
        Assert.Equal("Early, committed late", bed.Value(late, "Name"));
        Assert.Empty(last);
        // A watermark that trusts SystemModstamp as commit order (no lookback) never sees it: the loss replicators had.
        Assert.Empty(naiveAfter);
    }

    [Fact]
    public async Task Records_sharing_one_stamp_across_pages_and_checkpoints_are_each_handed_on_exactly_once()
    {
        await using var bed = await SourceBed.StartAsync();
        await using var source = bed.Source(pageSize: 200);
        var (_, empty) = await SourceBed.ReadAsync(source, null);
        // One save: 450 records with one SystemModstamp, so every page boundary falls inside the tie.
        var ids = bed.Opportunities(Enumerable.Range(1, 450).Select(i => $"Tie {i}"));
        Assert.Single(bed.Org.Records("Opportunity").Select(r => r.SystemModstamp).Distinct());

        var (all, end) = await SourceBed.ReadAsync(source, empty);
        Assert.Equal(450, all.Count);
        Assert.Equal(ids.Order(StringComparer.Ordinal), all.Select(c => c.Key).Order(StringComparer.Ordinal));

        foreach (var cut in new[] { 199, 200, 317 })
        {
            // Stopped after a page's last record, the next page's first, and mid-page: the rest, no more, no less.
            var (rest, _) = await SourceBed.ReadAsync(source, SourceBed.Stored(all[cut].Position.ToCheckpoint()));
            Assert.Equal(all.Skip(cut + 1).Select(c => c.Key), rest.Select(c => c.Key));
        }

        Assert.Empty((await SourceBed.ReadAsync(source, end)).Changes);
    }

    [Fact]
    public async Task In_a_quiet_org_the_window_of_versions_kept_in_the_checkpoint_empties_once_the_lookback_has_passed()
    {
        await using var bed = await SourceBed.StartAsync();
        bed.Opportunities(["A", "B", "C"]);
        await using var source = bed.Source(lookback: TimeSpan.FromSeconds(1));
        var (_, checkpoint) = await SourceBed.ReadAsync(source, null);
        Assert.Equal(3, SalesforcePosition.Read(checkpoint)!.Window.Count);

        // Nothing changes: the newest stamp stays where it was, but the org's clock moves the floor past it.
        await Eventually.HoldsAsync(async () =>
        {
            var (changes, next) = await SourceBed.ReadAsync(source, checkpoint);
            Assert.Empty(changes);
            checkpoint = next;
            return SalesforcePosition.Read(checkpoint)!.Window.Count == 0;
        }, "the window to empty", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Deleted_records_arrive_as_deletes_from_the_recycle_bin_and_once_purged_from_get_deleted()
    {
        var orgTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var bed = await SourceBed.StartAsync(orgTime);
        var ids = bed.Opportunities(["Kept", "Binned", "Purged"]);
        await using var source = bed.Source();
        var (_, loaded) = await SourceBed.ReadAsync(source, null);

        bed.Delete(ids[1]);
        var (binned, afterBin) = await SourceBed.ReadAsync(source, loaded);
        bed.Delete(ids[2]);
        Assert.Equal(2, bed.Org.EmptyRecycleBin("Opportunity"));
        // getDeleted covers whole minutes up to the org's now: the purge is in the log once its minute has passed.
        orgTime.Advance(TimeSpan.FromMinutes(2));
        var (purged, afterPurge) = await SourceBed.ReadAsync(source, afterBin);
        var (again, _) = await SourceBed.ReadAsync(source, afterPurge);

        var delete = Assert.Single(binned);
        Assert.Equal((ids[1], ChangeOperation.Delete, ChangeKinds.Deleted), (delete.Key, delete.Operation, delete.Kind));
        Assert.Equal(ids[1], bed.Value(delete, "Id"));
        Assert.Null(bed.Value(delete, "Name"));
        Assert.Equal([(ids[2], ChangeOperation.Delete)], purged.Select(c => (c.Key, c.Operation)));
        Assert.Empty(again);
    }

    [Fact]
    public async Task A_where_condition_limits_the_records_read()
    {
        await using var bed = await SourceBed.StartAsync();
        var ids = bed.Opportunities(["Big", "Small"]);
        bed.Org.Save([new SaveRequest { Operation = SaveOperation.Update, Id = ids[1], Fields = [new("Amount", 5m)] }]);
        await using var source = bed.Source(where: "Amount > 100");

        var (changes, _) = await SourceBed.ReadAsync(source, null);

        Assert.Equal([ids[0]], changes.Select(c => c.Key));
    }

    [Fact]
    public async Task Check_names_an_unknown_field_or_relationship_with_the_closest_one_and_discover_lists_the_columns()
    {
        await using var bed = await SourceBed.StartAsync();
        await using var good = bed.Source();
        var schema = await good.DiscoverAsync(CancellationToken.None);

        Assert.Equal(["Id"], schema.KeyColumns);
        Assert.Equal(SourceBed.Columns, schema.Columns.Select(c => c.Name));
        Assert.Equal(ColumnType.Decimal, schema.Find("Amount")!.Type);
        Assert.Equal(ColumnType.Date, schema.Find("CloseDate")!.Type);

        await using var typo = bed.Source(fields: ["Id", "StageNme"]);
        var field = await Assert.ThrowsAsync<ConfigException>(() => typo.CheckAsync(CancellationToken.None));
        Assert.Contains("no field 'StageNme'", field.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'StageName'?", field.Message, StringComparison.Ordinal);

        await using var relationship = bed.Source(fields: ["Id", "Acount.Name"]);
        var hop = await Assert.ThrowsAsync<ConfigException>(() => relationship.CheckAsync(CancellationToken.None));
        Assert.Contains("no relationship 'Acount'", hop.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'Account'?", hop.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Soql_is_split_into_object_fields_and_condition_and_clauses_sluice_owns_are_refused()
    {
        var (objectName, fields, where) = SalesforceSourceOptions.ParseSoql("SELECT Id, StageName, Account.Name FROM Opportunity WHERE IsClosed = false", null);

        Assert.Equal("Opportunity", objectName);
        Assert.Equal(["Id", "StageName", "Account.Name"], fields);
        Assert.Equal("IsClosed = false", where);
        var refused = Assert.Throws<ConfigException>(() => SalesforceSourceOptions.ParseSoql("SELECT Id FROM Opportunity WHERE Amount > 0 ORDER BY Amount", null));
        Assert.Contains("ORDER BY", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_source_section_binds_soql_or_object_and_fields_and_refuses_what_it_cannot_do()
    {
        var fromSoql = SalesforceSourceOptions.Bind(ConfigSection.Parse("""
            connection: crm
            soql: "SELECT Id, Account.Name FROM Opportunity WHERE IsWon = true"
            lookback: 10m
            """));
        Assert.Equal(("Opportunity", "IsWon = true", TimeSpan.FromMinutes(10)), (fromSoql.Object, fromSoql.Where, fromSoql.Lookback));
        Assert.Equal(["Id", "Account.Name"], fromSoql.Fields);

        var defaults = SalesforceSourceOptions.Bind(ConfigSection.Parse("{connection: crm, object: Opportunity, fields: [Id, StageName]}"));
        Assert.Equal((TimeSpan.FromMinutes(5), 2000, (string?)null), (defaults.Lookback, defaults.PageSize, defaults.Where));

        Assert.Equal("stream", SalesforceSourceOptions.Bind(ConfigSection.Parse("{connection: crm, object: Opportunity, fields: [Id], changes: stream}")).Changes);
        var push = Assert.Throws<ConfigException>(() => SalesforceSourceOptions.Bind(ConfigSection.Parse("{connection: crm, object: Opportunity, fields: [Id], changes: push}")));
        Assert.Contains("'changes: push' is not a way", push.Message, StringComparison.Ordinal);
        var both = Assert.Throws<ConfigException>(() => SalesforceSourceOptions.Bind(ConfigSection.Parse("{connection: crm, object: Opportunity, soql: 'SELECT Id FROM Opportunity'}")));
        Assert.Contains("'soql:' or 'object:'", both.Message, StringComparison.Ordinal);
        var noFields = Assert.Throws<ConfigException>(() => SalesforceSourceOptions.Bind(ConfigSection.Parse("{connection: crm, object: Opportunity}")));
        Assert.Contains("names no fields", noFields.Message, StringComparison.Ordinal);
    }
}
