using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Sluice.Bench.Harness;
using Sluice.Dev.Embedded;

namespace Sluice.Bench.Cdc;

/// <summary>
/// PostgreSQL's own decode rate: <c>pg_recvlogical</c> with <c>pgoutput</c> reading a slot from where it was created
/// to an end LSN, output thrown away. The walsender decodes, filters by publication and serialises every change exactly
/// as it does for any logical replication client, Sluice included; nothing can stream a slot faster.
/// </summary>
internal static class PgRecvLogical
{
    /// <summary>A publication of <paramref name="table"/> and one pgoutput slot per name, all at the current WAL position.</summary>
    public static async Task CreateSlotsAsync(NpgsqlDataSource db, string publication, string table, IEnumerable<string> slots, CancellationToken ct)
    {
        await using (var command = db.CreateCommand($"CREATE PUBLICATION {publication} FOR TABLE {table}"))
        {
            await command.ExecuteNonQueryAsync(ct);
        }

        foreach (var slot in slots)
        {
            await using var command = db.CreateCommand("SELECT pg_create_logical_replication_slot($1, 'pgoutput')");
            command.Parameters.Add(new NpgsqlParameter { Value = slot });
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Decodes <paramref name="slot"/> up to <paramref name="endLsn"/> and times it from process start to exit.</summary>
    public static async Task<DecodeRun> DecodeAsync(LocalCluster cluster, string slot, string publication, string endLsn, long changes, int run, string logPath, CancellationToken ct)
    {
        var binary = Path.Combine(await BinDirectoryAsync(ct), "pg_recvlogical");
        string[] args =
        [
            "-d", $"host={cluster.Host} port={cluster.Port.ToString(CultureInfo.InvariantCulture)} dbname=bench user={LocalCluster.SuperUser}",
            "--slot", slot, "--start", "--endpos", endLsn, "--no-loop",
            "-o", "proto_version=1", "-o", $"publication_names={publication}",
            // Thrown away, and never fsynced: what is measured is the server's decoding and the stream.
            "-f", "/dev/null", "-F", "0",
        ];
        var clock = Stopwatch.StartNew();
        await using var child = ChildProcess.Start(binary, args, Path.GetTempPath(), logPath);
        await child.WaitForExitAsync(ct);
        var seconds = clock.Elapsed.TotalSeconds;
        if (child.ExitCode != 0)
        {
            throw new BenchFailure($"pg_recvlogical exited with {child.ExitCode}; last lines of {logPath}:\n{child.Tail()}");
        }

        var result = new DecodeRun(run, slot, changes, seconds);
        Console.WriteLine($"decode       pg_recvlogical pgoutput run {run}: {result.ChangesPerSecond,12:N0} changes/s ({seconds:F2} s)");
        return result;
    }

    private static async Task<string> BinDirectoryAsync(CancellationToken ct)
    {
        var start = new ProcessStartInfo("pg_config") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("--bindir");
        try
        {
            using var process = Process.Start(start)!;
            var output = (await process.StandardOutput.ReadToEndAsync(ct)).Trim();
            await process.WaitForExitAsync(ct);
            if (process.ExitCode == 0 && File.Exists(Path.Combine(output, "pg_recvlogical")))
            {
                return output;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No pg_config on PATH: look where Debian and Ubuntu put the server binaries.
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "pg_recvlogical"))).OrderDescending().FirstOrDefault()
              ?? throw new BenchFailure("pg_recvlogical not found: install PostgreSQL's client binaries or put pg_config on PATH")
            : throw new BenchFailure("pg_recvlogical not found: install PostgreSQL's client binaries or put pg_config on PATH");
    }
}
