using System.Diagnostics;
using Npgsql;
using Sluice.Dev.Demo;
using Sluice.Dev.Embedded;

namespace Sluice.Bench.Harness;

/// <summary>What every benchmark does around its measurements: load the users table, and clean up.</summary>
internal static class BenchData
{
    /// <summary>Loads <paramref name="users"/> demo users (one account per ten, no orders); returns the seconds it took.</summary>
    public static async Task<double> LoadUsersAsync(NpgsqlDataSource db, int users, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        // Accounts (one per ten users) load first and count in the progress too.
        var progress = new ConsoleProgress($"load         {users:N0} users", users + users / 10);
        var summary = await DemoDataset.CreateAsync(db, new DemoDatasetOptions { Users = users, OrdersPerUser = 0 }, progress, ct);
        var seconds = clock.Elapsed.TotalSeconds;
        progress.Done($"{summary.Users:N0} users + {summary.Accounts:N0} accounts in {seconds:F1} s ({summary.Users / seconds:N0} users/s, keys, VACUUM (ANALYZE) and CHECKPOINT after it)");

        await SettleAsync(db, "public.users, public.accounts", ct);
        return seconds;
    }

    /// <summary>
    /// After a bulk load: what autovacuum does to freshly loaded tables within their first minute (visibility map,
    /// statistics), done now, then a checkpoint for the load's WAL — so that a baseline and the sync measured after it
    /// read the same, settled tables and neither runs beside an autovacuum of them (it overlapped timed runs before).
    /// </summary>
    public static async Task SettleAsync(NpgsqlDataSource db, string tables, CancellationToken ct)
    {
        // VACUUM cannot run inside a transaction block: one statement per command.
        foreach (var sql in new[] { $"VACUUM (ANALYZE) {tables}", "CHECKPOINT" })
        {
            await using var command = db.CreateCommand(sql);
            command.CommandTimeout = 0;
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Stops the cluster and deletes the work directory, or with <paramref name="keep"/> says how to reach and stop them.</summary>
    public static async Task CleanUpAsync(LocalCluster? cluster, string work, bool keep)
    {
        if (keep && cluster is not null)
        {
            Console.WriteLine($"kept         {cluster.ConnectionString("bench")}; {work}; stop with: runuser -u postgres -- pg_ctl -D {cluster.DataDirectory} stop");
            return;
        }

        if (cluster is not null)
        {
            await cluster.StopAsync(immediate: true, CancellationToken.None);
        }

        Directory.Delete(work, recursive: true);
    }
}
