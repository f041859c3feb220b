using Npgsql;
using Sluice.Postgres.Embedded;

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

    private static async Task<LocalCluster> StartAsync()
    {
        await RemoveAbandonedClustersAsync();
        var directory = Path.Combine(Path.GetTempPath(), $"{DirectoryPrefix}{Environment.ProcessId}");
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = directory, Durable = false });
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                cluster.StopAsync(immediate: true).GetAwaiter().GetResult();
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception)
            {
                // Best effort at exit; the next run removes what is left (RemoveAbandonedClustersAsync).
            }
        };
        return cluster;
    }

    /// <summary>Clusters of test processes that died without cleaning up: stop them and delete their files.</summary>
    private static async Task RemoveAbandonedClustersAsync()
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            if (!int.TryParse(Path.GetFileName(directory)[DirectoryPrefix.Length..], out var pid) || Directory.Exists($"/proc/{pid}"))
            {
                continue;
            }

            try
            {
                if (File.Exists(Path.Combine(directory, "postmaster.pid")))
                {
                    var stale = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = directory, Durable = false });
                    await stale.StopAsync(immediate: true);
                }

                Directory.Delete(directory, recursive: true);
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
