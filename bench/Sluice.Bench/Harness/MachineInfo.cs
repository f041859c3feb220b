using System.Globalization;
using System.Runtime.InteropServices;
using Npgsql;

namespace Sluice.Bench.Harness;

/// <summary>What the numbers were measured on; a result without it cannot be compared with another.</summary>
internal sealed record MachineInfo(
    int Processors,
    string CpuModel,
    double MemoryGigabytes,
    string Os,
    string Runtime,
    string PostgresVersion,
    IReadOnlyDictionary<string, string> PostgresSettings)
{
    private static readonly string[] Settings =
        ["shared_buffers", "work_mem", "fsync", "synchronous_commit", "full_page_writes", "wal_level", "max_wal_size", "jit"];

    public static async Task<MachineInfo> CollectAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var version = db.CreateCommand("SHOW server_version");
        var postgresVersion = (string)(await version.ExecuteScalarAsync(ct))!;

        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await using (var command = db.CreateCommand("SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY($1)"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = Settings });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                settings[reader.GetString(0)] = reader.GetString(1);
            }
        }

        return new MachineInfo(
            Environment.ProcessorCount,
            ProcField("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
            Math.Round(MemTotalKb() / 1024.0 / 1024.0, 1),
            $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})",
            RuntimeInformation.FrameworkDescription,
            postgresVersion,
            settings);
    }

    private static string? ProcField(string path, string name)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        // "model name\t: AMD EPYC 7B13"
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    private static long MemTotalKb()
    {
        var value = ProcField("/proc/meminfo", "MemTotal");
        return value is null ? 0 : long.Parse(value.Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
    }
}
