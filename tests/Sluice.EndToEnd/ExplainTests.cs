namespace Sluice.EndToEnd;

/// <summary><c>sluice explain</c>: one record's history, from the source row to the destination's answer.</summary>
public sealed class ExplainTests
{
    [Fact]
    public async Task Explain_shows_each_acknowledged_send_with_its_message_id_and_each_dead_letter_with_its_reason()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Explain_shows_each_acknowledged_send_with_its_message_id_and_each_dead_letter_with_its_reason), 50);
        await bed.ScalarAsync("UPDATE users SET bio = repeat('x', 40000) WHERE id = 20");
        await using (var workspace = bed.Workspace())
        {
            await workspace.RunAsync(SyncTestBed.SyncName, Core.State.RunKind.Incremental, null, default);
            await bed.ScalarAsync("UPDATE users SET plan = 'enterprise', updated_at = now() WHERE id = 7");
            await workspace.RunAsync(SyncTestBed.SyncName, Core.State.RunKind.Incremental, null, default);
        }

        var (exit, output) = await bed.RunSluiceAsync("explain", SyncTestBed.SyncName, "7", "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        Assert.Contains("2 acknowledged send(s), 0 dead letter(s)", output, StringComparison.Ordinal);
        foreach (var sent in bed.Emulator.Messages("identify").Where(m => m.UserId == "7"))
        {
            Assert.Contains(sent.MessageId, output, StringComparison.Ordinal);
        }

        var (_, rejected) = await bed.RunSluiceAsync("explain", SyncTestBed.SyncName, "20", "-c", bed.ConfigPath);
        Assert.Contains("0 acknowledged send(s), 1 dead letter(s)", rejected, StringComparison.Ordinal);
        Assert.Contains("32 KB", rejected, StringComparison.Ordinal);

        var (_, unknown) = await bed.RunSluiceAsync("explain", SyncTestBed.SyncName, "99999", "-c", bed.ConfigPath);
        Assert.Contains("has no history", unknown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_shows_the_fingerprint_a_diffing_sync_remembers()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Explain_shows_the_fingerprint_a_diffing_sync_remembers), 10);
        var yaml = await File.ReadAllTextAsync(bed.ConfigPath);
        await File.WriteAllTextAsync(bed.ConfigPath, yaml.Replace(
            "table: public.users\n      cursor: updated_at",
            "query: \"SELECT id, email, plan, bio, updated_at FROM users\"\n      key: [id]",
            StringComparison.Ordinal));
        Assert.Contains("query:", await File.ReadAllTextAsync(bed.ConfigPath), StringComparison.Ordinal);
        await using (var workspace = bed.Workspace())
        {
            await workspace.RunAsync(SyncTestBed.SyncName, Core.State.RunKind.Incremental, null, default);
        }

        var (exit, output) = await bed.RunSluiceAsync("explain", SyncTestBed.SyncName, "7", "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        Assert.Contains("1 acknowledged send(s)", output, StringComparison.Ordinal);
        Assert.Matches("fingerprint of the version last committed: [0-9a-f]{32}", output);
    }

    [Fact]
    public async Task Explain_says_a_record_was_not_sent_because_it_was_dead_lettered_with_its_payload_and_a_sent_one_was_acknowledged()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Explain_says_a_record_was_not_sent_because_it_was_dead_lettered_with_its_payload_and_a_sent_one_was_acknowledged), 30);
        await bed.ScalarAsync("UPDATE users SET bio = repeat('x', 40000) WHERE id = 20");
        await using (var workspace = bed.Workspace())
        {
            await workspace.RunAsync(SyncTestBed.SyncName, Core.State.RunKind.Incremental, null, default);
        }

        // A cursor sync to a destination that gives no ids keeps no per-record ledger: its send ledger and dead letters say it all.
        Assert.Equal(0L, await bed.ScalarAsync("SELECT count(*) FROM sluice.record_state"));

        var (exit, rejected) = await bed.RunSluiceAsync("explain", SyncTestBed.SyncName, "20", "-c", bed.ConfigPath);
        Assert.True(exit == 0, rejected);
        Assert.Contains("not sent: dead-lettered", rejected, StringComparison.Ordinal);
        Assert.Contains("32 KB", rejected, StringComparison.Ordinal);
        Assert.Contains("payload (what would have been sent):\n{\"", rejected.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("xxxxxxxx", rejected, StringComparison.Ordinal);

        var (_, sent) = await bed.RunSluiceAsync("explain", SyncTestBed.SyncName, "7", "-c", bed.ConfigPath);
        Assert.Contains("1 acknowledged send(s)", sent, StringComparison.Ordinal);
        Assert.DoesNotContain("not sent", sent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_says_a_record_was_not_sent_because_the_mode_left_it_out()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Explain_says_a_record_was_not_sent_because_the_mode_left_it_out), 10, "on: [changed]");
        var yaml = await File.ReadAllTextAsync(bed.ConfigPath);
        await File.WriteAllTextAsync(bed.ConfigPath, yaml.Replace(
            "table: public.users\n      cursor: updated_at",
            "query: \"SELECT id, email, plan, bio, updated_at FROM users\"\n      key: [id]",
            StringComparison.Ordinal));
        Assert.Contains("query:", await File.ReadAllTextAsync(bed.ConfigPath), StringComparison.Ordinal);
        await using (var workspace = bed.Workspace())
        {
            Assert.Equal(0, (await workspace.RunAsync(SyncTestBed.SyncName, Core.State.RunKind.Incremental, null, default)).Acknowledged);
        }

        var (exit, output) = await bed.RunSluiceAsync("explain", SyncTestBed.SyncName, "7", "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        Assert.Contains("ledger: left-out", output, StringComparison.Ordinal);
        Assert.Contains("not sent: left out", output, StringComparison.Ordinal);
        Assert.Contains("an unchanged record is not sent", output, StringComparison.Ordinal);
    }
    [Fact]
    public async Task Explain_says_why_a_lookup_skipped_a_record_and_status_counts_the_skips_of_the_last_run()
    {
        // Users 1-6 are known to the lookup, 7-10 are not: four skips, each with its reason in its own ledger column.
        await using var bed = await SyncTestBed.CreateAsync(nameof(Explain_says_why_a_lookup_skipped_a_record_and_status_counts_the_skips_of_the_last_run), 10, """
            lookup:
              connection: app
              key: email
              sql: "SELECT email, plan AS known_plan FROM public.users WHERE email = ANY(@keys) AND id <= 6"
            """);
        await using (var workspace = bed.Workspace())
        {
            var run = await workspace.RunAsync(SyncTestBed.SyncName, Core.State.RunKind.Incremental, null, default);
            Assert.Equal((6L, 4L), (run.Acknowledged, run.Skipped));
        }

        var (exit, explained) = await bed.RunSluiceAsync("explain", SyncTestBed.SyncName, "7", "-c", bed.ConfigPath);
        Assert.True(exit == 0, explained);
        Assert.Contains("not sent: skipped — lookup in app: no match in app for email 'user7@example.com'", explained, StringComparison.Ordinal);
        Assert.Equal(4L, await bed.ScalarAsync("SELECT count(*) FROM sluice.record_state WHERE skip_reason LIKE 'lookup in app: no match in app for email %'"));
        Assert.Equal(0L, await bed.ScalarAsync("SELECT count(*) FROM sluice.record_state WHERE watched_values ? 'sluice.left_out'"));

        // Skips are counted, not errors: status says how many the last run skipped and still exits 0.
        var (statusExit, status) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath);
        Assert.True(statusExit == 0, status);
        Assert.Contains($"{SyncTestBed.SyncName}: 4 skipped by its last run", status, StringComparison.Ordinal);
        var (_, json) = await bed.RunSluiceAsync("status", "--json", "-c", bed.ConfigPath);
        Assert.Contains("\"skippedLastRun\": 4", json, StringComparison.Ordinal);

        // A run that reads nothing new skips nothing: the count is the last run's, not all time's.
        await using (var workspace = bed.Workspace())
        {
            Assert.Equal(0L, (await workspace.RunAsync(SyncTestBed.SyncName, Core.State.RunKind.Incremental, null, default)).Skipped);
        }

        var (_, quiet) = await bed.RunSluiceAsync("status", "--json", "-c", bed.ConfigPath);
        Assert.Contains("\"skippedLastRun\": 0", quiet, StringComparison.Ordinal);
    }
}
