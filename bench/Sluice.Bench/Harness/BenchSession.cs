using Npgsql;
using Sluice.Dev.Embedded;

namespace Sluice.Bench.Harness;

/// <summary>
/// What every benchmark stands on: the repo, the <c>sluice</c> binary users run, a fresh cluster with durable
/// settings in a work directory of its own, and a <c>bench</c> database. Disposing stops and deletes it all
/// (or, with <c>--keep</c>, says how to reach it).
/// </summary>
internal sealed class BenchSession : IAsyncDisposable
{
    private readonly bool _keep;

    private BenchSession(string stem, DateTimeOffset startedAt, string sluice, string work, bool keep)
    {
        Stem = stem;
        StartedAt = startedAt;
        Sluice = sluice;
        Work = work;
        _keep = keep;
    }

    /// <summary>Where the results file and the children's logs go, without extension.</summary>
    public string Stem { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>The <c>sluice</c> executable.</summary>
    public string Sluice { get; }

    /// <summary>The work directory (cluster data, configs).</summary>
    public string Work { get; }

    public LocalCluster Cluster { get; private set; } = null!;

    public NpgsqlDataSource Db { get; private set; } = null!;

    public static async Task<BenchSession> StartAsync(string benchmark, string? sluicePath, bool keep, CancellationToken ct)
    {
        var repoRoot = RepoRoot.Find();
        var startedAt = DateTimeOffset.UtcNow;
#if DEBUG
        Console.WriteLine("warning: this is a Debug build of the bench; run it with -c Release");
#endif
        var sluice = await SluiceBinary.LocateAsync(repoRoot, sluicePath, ct);

        // Not Directory.CreateTempSubdirectory: its 0700 mode would lock out the postgres OS user that runs the cluster.
        var work = Path.Combine(Path.GetTempPath(), $"sluice-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        var session = new BenchSession(ResultsFile.Stem(repoRoot, benchmark, startedAt), startedAt, sluice, work, keep);
        try
        {
            Console.WriteLine($"cluster      starting in {work} (durable settings)");
            session.Cluster = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = Path.Combine(work, "pg"), Durable = true }, ct);
            await session.Cluster.CreateDatabaseAsync("bench", ct);
            session.Db = NpgsqlDataSource.Create(session.Cluster.ConnectionString("bench"));
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Db is not null)
        {
            await Db.DisposeAsync();
        }

        await BenchData.CleanUpAsync(Cluster, Work, _keep);
    }
}
