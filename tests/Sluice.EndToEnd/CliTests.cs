namespace Sluice.EndToEnd;

/// <summary>The <c>sluice</c> binary, run as a user runs it: exit codes and what it prints.</summary>
public sealed class CliTests
{
    [Fact]
    public async Task Sync_runs_against_the_emulator_and_exits_0_with_a_summary()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Sync_runs_against_the_emulator_and_exits_0_with_a_summary), 2_000);
        var (exit, output) = await bed.RunSluiceAsync("sync", SyncTestBed.SyncName, "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        Assert.Contains("2,000 read, 2,000 acknowledged, 0 dead-lettered", output, StringComparison.Ordinal);
        Assert.Equal(2_000, bed.Emulator.Stats.Unique);
    }

    [Fact]
    public async Task Check_reports_every_connection_and_sync_and_exits_0()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Check_reports_every_connection_and_sync_and_exits_0), 10);
        var (exit, output) = await bed.RunSluiceAsync("check", "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        Assert.Contains("connection 'app' (postgres)", output, StringComparison.Ordinal);
        Assert.Contains("connection 'segment' (segment)", output, StringComparison.Ordinal);
        Assert.Contains($"sync '{SyncTestBed.SyncName}'", output, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", output, StringComparison.Ordinal); // indexed, NOT NULL cursor: nothing to advise
        Assert.Equal(0, bed.Emulator.Stats.Events);
    }

    [Fact]
    public async Task Check_advises_on_rows_that_would_never_sync_and_on_a_missing_cursor_index()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Check_advises_on_rows_that_would_never_sync_and_on_a_missing_cursor_index), 10);
        await bed.ScalarAsync("DROP INDEX users_cursor; ALTER TABLE users ALTER COLUMN updated_at DROP NOT NULL; UPDATE users SET updated_at = NULL WHERE id <= 3");

        var (exit, output) = await bed.RunSluiceAsync("check", "-c", bed.ConfigPath);

        Assert.True(exit == 0, output); // advice, not failure
        Assert.Contains("3 rows of public.users have NULL updated_at and will never be synced", output, StringComparison.Ordinal);
        Assert.Contains("CREATE INDEX CONCURRENTLY ON \"public\".\"users\" (\"updated_at\", \"id\");", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_misspelt_column_names_file_line_key_and_fix_and_exits_2()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(A_misspelt_column_names_file_line_key_and_fix_and_exits_2), 10);
        var yaml = await File.ReadAllTextAsync(bed.ConfigPath);
        await File.WriteAllTextAsync(bed.ConfigPath, yaml.Replace("email: email", "email: emial", StringComparison.Ordinal));

        var (exit, output) = await bed.RunSluiceAsync("sync", SyncTestBed.SyncName, "-c", bed.ConfigPath);

        Assert.True(exit == 2, output);
        Assert.Contains("sluice.yaml:", output, StringComparison.Ordinal);
        Assert.Contains("syncs.users_to_segment.mapping.traits.email", output, StringComparison.Ordinal);
        Assert.Contains("column 'emial' does not exist in public.users", output, StringComparison.Ordinal);
        Assert.Contains("did you mean 'email'?", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // no stack trace
        Assert.Equal(0, bed.Emulator.Stats.Events);
    }

    [Fact]
    public async Task An_unknown_sync_name_exits_2_with_a_suggestion()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(An_unknown_sync_name_exits_2_with_a_suggestion), 1);
        var (exit, output) = await bed.RunSluiceAsync("sync", "users_to_segmnt", "-c", bed.ConfigPath);
        Assert.True(exit == 2, output);
        Assert.Contains("did you mean 'users_to_segment'?", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_config_file_says_how_to_get_one_and_exits_2()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(A_missing_config_file_says_how_to_get_one_and_exits_2), 1);
        var (exit, output) = await bed.RunSluiceAsync("check", "-c", Path.Combine(bed.Directory, "nope.yaml"));
        Assert.True(exit == 2, output);
        Assert.Contains("nope.yaml", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_errors_exit_2_and_help_exits_0()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Usage_errors_exit_2_and_help_exits_0), 1);
        var (badExit, badOutput) = await bed.RunSluiceAsync("sync");
        Assert.True(badExit == 2, badOutput);
        var (helpExit, help) = await bed.RunSluiceAsync("sync", "--help");
        Assert.True(helpExit == 0, help);
        Assert.Contains("--full", help, StringComparison.Ordinal);
        Assert.Contains("Examples", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_from_the_environment_never_appears_in_output()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(A_secret_from_the_environment_never_appears_in_output), 5);
        var yaml = await File.ReadAllTextAsync(bed.ConfigPath);
        await File.WriteAllTextAsync(bed.ConfigPath, yaml.Replace("user: postgres", "user: postgres\n    password: ${SLUICE_TEST_DB_PASSWORD}", StringComparison.Ordinal));
        Environment.SetEnvironmentVariable("SLUICE_TEST_DB_PASSWORD", "hunter2-very-secret");
        try
        {
            var (_, output) = await bed.RunSluiceAsync("check", "-c", bed.ConfigPath);
            Assert.DoesNotContain("hunter2-very-secret", output, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SLUICE_TEST_DB_PASSWORD", null);
        }
    }
}
