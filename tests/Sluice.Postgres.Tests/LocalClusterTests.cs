using System.Diagnostics;
using System.Runtime.Versioning;
using Sluice.Core.Errors;
using Sluice.Dev.Embedded;
using Sluice.Testing;

namespace Sluice.Postgres.Tests;

[SupportedOSPlatform("linux")]
public sealed class LocalClusterTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Traversable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private const string Name = "demo-0123456789ab";

    /// <summary>This test's own directories, under /tmp (which everyone can traverse), deleted after it.</summary>
    private readonly string _scratch = Directory.CreateDirectory(
        Path.Combine(Path.GetTempPath(), $"sluice-placement-test-{Guid.NewGuid():N}"), Traversable).FullName;

    [Fact]
    public async Task Test_cluster_runs_with_logical_wal()
    {
        await using var dataSource = await TestPostgres.CreateDataSourceAsync(nameof(Test_cluster_runs_with_logical_wal));
        await using var command = dataSource.CreateCommand("SHOW wal_level");
        Assert.Equal("logical", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_data_directory_the_server_can_reach_stays_where_it_was_asked()
    {
        var preferred = Path.Combine(Home(Traversable), "demo", "pgdata");
        var root = Path.Combine(_scratch, "fallback");

        var choice = await DataDirectoryPlacement.ChooseAsync(preferred, Name, [root]);

        Assert.Equal(new DataDirectoryChoice(preferred, Relocated: false), choice);
        Assert.False(Directory.Exists(root));
    }

    [RootFact]
    public async Task A_data_directory_behind_a_0700_directory_moves_under_the_fallback_root_made_for_it()
    {
        var preferred = Path.Combine(Home(OwnerOnly), "demo", "pgdata");
        var root = Path.Combine(_scratch, "var", "lib", "sluice");

        var choice = await DataDirectoryPlacement.ChooseAsync(preferred, Name, [root]);

        Assert.Equal(new DataDirectoryChoice(Path.Combine(root, Name), Relocated: true), choice);
        Assert.Equal(Traversable, File.GetUnixFileMode(root));
        Assert.True(await LocalCluster.ServerCanReachAsync(choice.DataDirectory));
        Assert.False(await LocalCluster.ServerCanReachAsync(preferred));
    }

    [RootFact]
    public async Task A_relocated_cluster_is_found_there_again_even_once_its_home_is_reachable()
    {
        var home = Home(OwnerOnly);
        var preferred = Path.Combine(home, "demo", "pgdata");
        var root = Path.Combine(_scratch, "fallback");
        var first = await DataDirectoryPlacement.ChooseAsync(preferred, Name, [root]);
        Directory.CreateDirectory(first.DataDirectory);
        await File.WriteAllTextAsync(Path.Combine(first.DataDirectory, "PG_VERSION"), "17\n");

        File.SetUnixFileMode(home, Traversable);
        var again = await DataDirectoryPlacement.ChooseAsync(preferred, Name, [root]);

        Assert.Equal(first, again);
        Assert.True(again.Relocated);
    }

    [RootFact]
    public async Task A_fallback_root_that_is_a_link_or_someone_elses_or_writable_by_others_is_passed_over()
    {
        var preferred = Path.Combine(Home(OwnerOnly), "demo", "pgdata");
        var target = Directory.CreateDirectory(Path.Combine(_scratch, "target"), Traversable).FullName;
        var link = Path.Combine(_scratch, "link");
        Directory.CreateSymbolicLink(link, target);
        var theirs = Directory.CreateDirectory(Path.Combine(_scratch, "theirs"), Traversable).FullName;
        await RunAsync("chown", "nobody", theirs);
        var open = Directory.CreateDirectory(Path.Combine(_scratch, "open")).FullName;
        File.SetUnixFileMode(open, Traversable | UnixFileMode.OtherWrite);
        var ours = Path.Combine(_scratch, "ours");

        var choice = await DataDirectoryPlacement.ChooseAsync(preferred, Name, [link, theirs, open, ours]);

        Assert.Equal(Path.Combine(ours, Name), choice.DataDirectory);
    }

    [RootFact]
    public async Task With_no_usable_place_the_error_names_the_directory_and_the_way_out()
    {
        var preferred = Path.Combine(Home(OwnerOnly), "demo", "pgdata");
        var unreachableRoot = Path.Combine(Home(OwnerOnly), "fallback");

        var error = await Assert.ThrowsAsync<SluiceException>(() => DataDirectoryPlacement.ChooseAsync(preferred, Name, [unreachableRoot]));

        Assert.Equal(ErrorClass.Config, error.Class);
        Assert.Contains(preferred, error.Message, StringComparison.Ordinal);
        Assert.Contains("SLUICE_HOME", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_stops_the_server_running_in_a_data_directory_and_deletes_it()
    {
        var dataDirectory = Path.Combine(_scratch, "pgdata");
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = dataDirectory, Durable = false });
        try
        {
            var pid = int.Parse((await File.ReadAllLinesAsync(Path.Combine(dataDirectory, "postmaster.pid")))[0], System.Globalization.CultureInfo.InvariantCulture);

            Assert.True(await LocalCluster.RemoveAsync(dataDirectory));

            // At once, not after a wait: a postmaster whose directory is gone refuses new sessions and, within a
            // minute, stops by itself; only its listening socket tells whether it was stopped.
            using var probe = new System.Net.Sockets.TcpClient();
            await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(async () => await probe.ConnectAsync(cluster.Host, cluster.Port));
            Assert.False(Directory.Exists(dataDirectory));
            Assert.True(await GoneAsync(pid), $"postmaster {pid} still runs");
            Assert.False(await LocalCluster.RemoveAsync(dataDirectory));
        }
        finally
        {
            if (File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
            {
                await cluster.StopAsync(immediate: true);
            }
        }
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    /// <summary>A fresh directory standing for someone's home, with <paramref name="mode"/> (0700 like root's, or 0755).</summary>
    private string Home(UnixFileMode mode)
    {
        var home = Directory.CreateDirectory(Path.Combine(_scratch, $"home-{Guid.NewGuid():N}"[..13])).FullName;
        File.SetUnixFileMode(home, mode);
        return home;
    }

    /// <summary>
    /// Whether the process ends within a generous deadline: pg_ctl returns once the pid file is gone, which the
    /// postmaster removes on its way out, moments before it exits.
    /// </summary>
    private static async Task<bool> GoneAsync(int pid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>Alive and not a zombie waiting to be reaped (by whichever process adopted it).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task RunAsync(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }
}
