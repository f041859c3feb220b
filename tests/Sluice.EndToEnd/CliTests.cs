using System.Diagnostics;
using Sluice.Core.Configuration;
using Sluice.Testing;

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

    [Theory]
    [InlineData("segment")]
    [InlineData("salesforce")]
    public async Task An_emulator_on_a_port_in_use_says_so_in_one_line_without_a_stack_trace_and_exits_2(string api)
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(An_emulator_on_a_port_in_use_says_so_in_one_line_without_a_stack_trace_and_exits_2) + "_" + api, 1);
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (exit, output) = await bed.RunSluiceAsync("emulate", api, "--port", port);

        Assert.True(exit == 2, output);
        Assert.Contains($"emulator cannot listen on 127.0.0.1:{port}", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", output, StringComparison.Ordinal);
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
    public async Task Check_exits_2_for_a_misspelt_column_as_sync_does()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Check_exits_2_for_a_misspelt_column_as_sync_does), 10);
        var yaml = await File.ReadAllTextAsync(bed.ConfigPath);
        await File.WriteAllTextAsync(bed.ConfigPath, yaml.Replace("email: email", "email: emial", StringComparison.Ordinal));

        var (exit, output) = await bed.RunSluiceAsync("check", "-c", bed.ConfigPath);

        Assert.True(exit == 2, output);
        Assert.Contains("column 'emial' does not exist in public.users", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sluice_alone_prints_the_help_and_exits_0()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Sluice_alone_prints_the_help_and_exits_0), 1);

        var (exit, output) = await bed.RunSluiceAsync();

        Assert.True(exit == 0, output);
        Assert.Contains("Start here:", output, StringComparison.Ordinal);
        Assert.Contains("Commands:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("error:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_root_help_lists_every_docs_page()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(The_root_help_lists_every_docs_page), 1);
        var pages = Directory.GetFiles(Path.Combine(RepositoryRoot(), "docs"), "*.md").Select(p => "docs/" + Path.GetFileName(p)).ToList();
        Assert.NotEmpty(pages);

        var (exit, help) = await bed.RunSluiceAsync("--help");

        Assert.True(exit == 0, help);
        Assert.All(pages, page => Assert.Contains(page, help, StringComparison.Ordinal));
        Assert.Contains("README.md", help, StringComparison.Ordinal);
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

    [Fact]
    public async Task A_yaml_alias_bomb_exits_2_naming_the_file_and_the_limit_within_a_small_heap()
    {
        var (exit, output) = await CheckAloneAsync(HostileYaml.AliasBomb(), []);

        Assert.True(exit == 2, output);
        Assert.Contains("bomb.yaml:", output, StringComparison.Ordinal);
        Assert.Contains($"{ConfigLimits.MaxAliasExpansion:N0}", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hundred_thousand_open_brackets_exit_2_naming_the_file_and_the_limit_within_a_small_heap()
    {
        var (exit, output) = await CheckAloneAsync("x: " + new string('[', 100_000) + "\n", []);

        Assert.True(exit == 2, output);
        Assert.Contains("bomb.yaml:1:", output, StringComparison.Ordinal);
        Assert.Contains($"{ConfigLimits.MaxDepth} levels", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("port: 5432", "port: \"${SLUICE_TEST_SECRET}\"")]
    [InlineData("ssl_mode: disable", "ssl_mode: \"${SLUICE_TEST_SECRET}\"")]
    [InlineData("retention: 7d", "retention: \"${SLUICE_TEST_SECRET}\"")]
    [InlineData("endpoint: http://127.0.0.1:9", "endpoint: \"${SLUICE_TEST_SECRET}\"")]
    [InlineData("endpoint: http://127.0.0.1:9", "endpoint: \"http://${SLUICE_TEST_SECRET}/x\"")]
    public async Task A_config_error_names_the_variable_and_never_prints_its_value(string literal, string fromEnvironment)
    {
        // The variable is quoted in the file: inside a '{…}' mapping a plain '}' would end it.
        const string Secret = "hunter2 is-my-secret";
        var yaml = """
            connections:
              app: {type: postgres, host: 127.0.0.1, port: 5432, database: app, user: u, ssl_mode: disable}
              segment: {type: segment, write_key: k, endpoint: http://127.0.0.1:9}
              web: {type: ingest, write_key: w, retention: 7d}
            syncs:
              users:
                source: {connection: app, table: public.users}
                destination: {connection: segment, call: identify}
                mapping: {user_id: id}
            """;
        Assert.Contains(literal, yaml, StringComparison.Ordinal);

        var (exit, output) = await CheckAloneAsync(yaml.Replace(literal, fromEnvironment, StringComparison.Ordinal), new() { ["SLUICE_TEST_SECRET"] = Secret });

        Assert.True(exit == 2, output);
        Assert.DoesNotContain("hunter2", output, StringComparison.Ordinal);
        Assert.Contains("${SLUICE_TEST_SECRET}", output, StringComparison.Ordinal);
        Assert.Contains("the value of SLUICE_TEST_SECRET", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("on: [added]", "on: [\"${SLUICE_TEST_SECRET}\"]")]
    [InlineData("layout: warehouse", "layout: \"${SLUICE_TEST_SECRET}\"")]
    [InlineData("fallback: poll", "fallback: \"${SLUICE_TEST_SECRET}\"")]
    [InlineData("max_lag: 1GB", "max_lag: \"${SLUICE_TEST_SECRET}\"")]
    [InlineData("slot: users_slot", "slot: \"${SLUICE_TEST_SECRET}\"")]
    public async Task A_connector_option_error_names_the_variable_and_never_prints_its_value(string literal, string fromEnvironment)
    {
        const string Secret = "hunter2 is-my-secret";
        var yaml = """
            connections:
              app: {type: postgres, host: 127.0.0.1, port: 5432, database: app, user: u, ssl_mode: disable}
              segment: {type: segment, write_key: k, endpoint: http://127.0.0.1:9}
              web: {type: ingest, write_key: w}
            syncs:
              users:
                source: {connection: app, table: public.users}
                destination: {connection: segment, call: identify}
                mapping: {user_id: id}
                on: [added]
              live:
                source: {connection: app, table: public.users, cursor: updated_at, cdc: {fallback: poll, slot: users_slot, max_lag: 1GB}}
                destination: {connection: segment, call: identify}
                mapping: {user_id: id}
              land:
                source: {connection: web}
                destination: {connection: app, layout: warehouse, schema: web}
            """;
        Assert.Contains(literal, yaml, StringComparison.Ordinal);

        var (exit, output) = await CheckAloneAsync(yaml.Replace(literal, fromEnvironment, StringComparison.Ordinal), new() { ["SLUICE_TEST_SECRET"] = Secret });

        Assert.True(exit == 2, output);
        Assert.DoesNotContain("hunter2", output, StringComparison.Ordinal);
        Assert.Contains("${SLUICE_TEST_SECRET}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_warns_about_plaintext_beyond_this_machine_and_recommends_verify_full()
    {
        var yaml = """
            connections:
              app: {type: postgres, host: db.example.invalid, database: app, ssl_mode: disable, connect_timeout: 2s}
            """;

        var (exit, output) = await CheckAloneAsync(yaml, []);

        Assert.True(exit == 1, output); // the host does not resolve: a failure, not a config error
        var warning = output.Split('\n').Single(l => l.Contains("unencrypted", StringComparison.Ordinal));
        Assert.Contains("connection 'app' (postgres)", warning, StringComparison.Ordinal);
        Assert.Contains("'ssl_mode: disable'", warning, StringComparison.Ordinal);
        Assert.Contains("verify-full", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_refuses_two_ingest_sources_with_one_write_key_with_the_message_run_gives()
    {
        await using var bed = await TestBed.CreateAsync(nameof(Check_refuses_two_ingest_sources_with_one_write_key_with_the_message_run_gives), "SELECT 1", at => $$"""
            state: {connection: app}
            connections:
              app: {type: postgres, host: {{at.Host}}, port: {{at.Port}}, database: {{at.Database}}, user: {{at.User}}}
              web: {type: ingest, write_key: shared-key}
              mobile: {type: ingest, write_key: shared-key}
            """);

        var (runExit, runOutput) = await bed.RunSluiceAsync("run", "-c", bed.ConfigPath, "--listen", "http://127.0.0.1:0");
        var (checkExit, checkOutput) = await bed.RunSluiceAsync("check", "-c", bed.ConfigPath);

        Assert.True(runExit == 2, runOutput);
        var refusal = runOutput.Split('\n').Single(l => l.Contains("have the same write_key", StringComparison.Ordinal));
        Assert.Contains("ingest sources 'web' and 'mobile' have the same write_key", refusal, StringComparison.Ordinal);
        Assert.True(checkExit == 2, checkOutput);
        Assert.Contains(refusal, checkOutput.Split('\n'));
        Assert.DoesNotContain("shared-key", checkOutput + runOutput, StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>sluice check</c> of <paramref name="yaml"/> (as bomb.yaml) with no database, in a 256 MB heap and a minute:
    /// input that expands without bound fails here rather than slowly swapping the machine.
    /// </summary>
    private static async Task<(int ExitCode, string Output)> CheckAloneAsync(string yaml, Dictionary<string, string> environment)
    {
        var directory = Directory.CreateTempSubdirectory("sluice-config-");
        try
        {
            var path = Path.Combine(directory.FullName, "bomb.yaml");
            await File.WriteAllTextAsync(path, yaml);
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = directory.FullName,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sluice.dll"));
            start.ArgumentList.Add("check");
            start.ArgumentList.Add("--config");
            start.ArgumentList.Add(path);
            start.Environment["NO_COLOR"] = "1";
            start.Environment["DOTNET_GCHeapHardLimit"] = "0x10000000";
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("sluice check ran for more than a minute");
            }

            return (process.ExitCode, await stdout + await stderr);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"no Sluice.slnx above {AppContext.BaseDirectory}");
    }
}
