using Npgsql;
using Sluice.Dev.Embedded;

namespace Sluice.Testing;

/// <summary>
/// The one throwaway PostgreSQL cluster of a test process: started on first use in a temp directory
/// (initdb, a free port, <c>wal_level=logical</c>), stopped and deleted when the process exits.
/// Each test class isolates itself in a database of its own (<see cref="CreateDatabaseAsync"/>).
/// </summary>
public static class TestPostgres
{
    private const string DirectoryPrefix = "sluice-test-pg-";
    private static readonly Lazy<Task<LocalCluster>> Cluster = new(StartAsync);
    private static int _databaseCounter;

    public static Task<LocalCluster> GetClusterAsync() => Cluster.Value;

    /// <summary>A fresh, empty database; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string purpose)
    {
        var cluster = await Cluster.Value;
        var name = $"{Sanitize(purpose)}_{Environment.ProcessId}_{Interlocked.Increment(ref _databaseCounter)}";
        await cluster.CreateDatabaseAsync(name);
        return cluster.ConnectionString(name);
    }

    public static async Task<NpgsqlDataSource> CreateDataSourceAsync(string purpose) =>
        NpgsqlDataSource.Create(await CreateDatabaseAsync(purpose));

    /// <summary>
    /// An extra throwaway cluster beside the shared one, for tests that need other settings: started in a fresh temp
    /// directory named <paramref name="directoryPrefix"/>, the process id and a unique suffix (its data in the
    /// <c>data</c> folder, room beside it for the caller's files), stopped and deleted when the process ends, however
    /// it ends (<see cref="ClusterShutdown"/>).
    /// Clusters abandoned by dead test processes under the same prefix are removed first.
    /// </summary>
    /// <param name="settingsFor">
    /// The cluster's extra <c>postgresql.conf</c> settings, given its directory (to write files they name first).
    /// </param>
    public static async Task<LocalCluster> StartClusterAsync(
        string directoryPrefix, Func<string, Task<IReadOnlyDictionary<string, string>>> settingsFor)
    {
        await RemoveAbandonedClustersAsync(directoryPrefix);
        var directory = Path.Combine(Path.GetTempPath(), $"{directoryPrefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        var settings = await settingsFor(directory);
        var data = Path.Combine(directory, "data");
        ClusterShutdown.StopWithThisProcess(data, directory);
        return await LocalCluster.StartAsync(new LocalClusterOptions
        {
            DataDirectory = data,
            Durable = false,
            Settings = settings,
        });
    }

    private static Task<LocalCluster> StartAsync() =>
        StartClusterAsync(DirectoryPrefix, _ => Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>()));

    /// <summary>
    /// Clusters of test processes that died without cleaning up (the test host may exit before ProcessExit runs):
    /// stop them and delete their files.
    /// </summary>
    private static async Task RemoveAbandonedClustersAsync(string directoryPrefix)
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), directoryPrefix + "*"))
        {
            var pidText = Path.GetFileName(directory)[directoryPrefix.Length..].Split('-')[0];
            if (!int.TryParse(pidText, out var pid) || Directory.Exists($"/proc/{pid}"))
            {
                continue;
            }

            try
            {
                // Clusters started before the data/ subfolder layout keep their data in the directory itself.
                var data = Directory.Exists(Path.Combine(directory, "data")) ? Path.Combine(directory, "data") : directory;
                await ClusterShutdown.StopAndRemoveAsync(data, directory);
            }
            catch (Exception)
            {
                // Not ours to fight over; leave it.
            }
        }
    }

    private static string Sanitize(string purpose)
    {
        var chars = purpose.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray();
        var text = new string(chars);
        return text.Length > 40 ? text[..40] : text;
    }
}
