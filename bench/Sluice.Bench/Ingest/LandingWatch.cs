using System.Diagnostics;
using Npgsql;
using Sluice.Bench.Harness;

namespace Sluice.Bench.Ingest;

/// <summary>
/// Waits until a destination table holds an expected number of rows and says when that happened, polling every
/// 100 ms. A <c>count(*)</c> of a table of a few hundred MB costs a core for a good part of 100 ms, which would slow
/// the very sync being timed; so each poll first looks up the last events sent by their key (an index probe), and
/// only when they are all there counts the rows. When the probe cannot be trusted (its keys never appear), the
/// bench counts at most every half second. A full count every 5 s shows progress and catches a stalled sync.
/// </summary>
/// <param name="Table">Schema-qualified and quoted.</param>
/// <param name="KeyColumn">The key column, quoted; the probe keys are compared with it as <paramref name="KeyType"/>.</param>
internal sealed class LandingWatch(NpgsqlDataSource db, string name, string table, string keyColumn, string keyType)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan UntrustedPoll = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(60);

    /// <summary>Whether the probe found keys before (the warm-up proves it); when false, only counts are used.</summary>
    public bool ProbeTrusted { get; private set; } = true;

    public async Task<long> CountAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand($"SELECT count(*) FROM {table}");
        try
        {
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            return 0; // the destination creates it on its first write
        }
    }

    /// <summary>How many of <paramref name="keys"/> are in the table.</summary>
    public async Task<int> ProbeAsync(Array keys, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"SELECT count(*) FROM {table} WHERE {keyColumn} = ANY($1::{keyType}[])");
        command.Parameters.Add(new NpgsqlParameter { Value = keys });
        try
        {
            return (int)(long)(await command.ExecuteScalarAsync(ct))!;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            return 0;
        }
    }

    /// <summary>
    /// The warm-up: waits for <paramref name="expected"/> rows (counted: the table is small), then checks that the
    /// probe finds <paramref name="keys"/>, the keys of those rows; if it does not, later waits count instead.
    /// </summary>
    public async Task WarmUpAsync(long expected, Array keys, ChildProcess sluice, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (await CountAsync(ct) < expected)
        {
            if (sluice.HasExited)
            {
                throw new BenchFailure($"sluice run exited with {sluice.ExitCode} during the warm-up; last lines of {sluice.LogPath}:\n{sluice.Tail()}");
            }

            if (clock.Elapsed > StallLimit)
            {
                throw new BenchFailure($"the warm-up's {expected:N0} events did not reach {name} within {StallLimit.TotalSeconds:0} s ({await CountAsync(ct):N0} there); see {sluice.LogPath}:\n{sluice.Tail()}");
            }

            await Task.Delay(Poll, ct);
        }

        ProbeTrusted = await ProbeAsync(keys, ct) == keys.Length;
        if (!ProbeTrusted)
        {
            Console.WriteLine($"note         {name}: the warm-up's keys were not found by {keyColumn}; landing is timed by count(*) every {UntrustedPoll.TotalMilliseconds:0} ms");
        }
    }

    /// <summary>
    /// Waits until the table holds <paramref name="expected"/> rows; returns <paramref name="clock"/>'s reading then.
    /// <paramref name="lastKeys"/> are the keys of the last events sent.
    /// </summary>
    public async Task<double> WaitAsync(long expected, Array lastKeys, Stopwatch clock, ChildProcess sluice, CancellationToken ct)
    {
        var lastProgress = clock.Elapsed;
        var lastCount = -1L;
        var nextProgress = clock.Elapsed + ProgressEvery;
        while (true)
        {
            var at = clock.Elapsed;
            var probed = ProbeTrusted && await ProbeAsync(lastKeys, ct) == lastKeys.Length;
            if (probed || !ProbeTrusted || at >= nextProgress)
            {
                var count = await CountAsync(ct);
                if (count >= expected)
                {
                    return at.TotalSeconds;
                }

                if (at >= nextProgress)
                {
                    Console.WriteLine($"landing      {name}: {count:N0} of {expected:N0} after {at.TotalSeconds:F1} s");
                    nextProgress = at + ProgressEvery;
                }

                if (count > lastCount)
                {
                    (lastCount, lastProgress) = (count, at);
                }
                else if (at - lastProgress > StallLimit)
                {
                    throw new BenchFailure($"{name} stopped at {count:N0} of {expected:N0} rows for {StallLimit.TotalSeconds:0} s; last lines of {sluice.LogPath}:\n{sluice.Tail()}");
                }
            }

            if (sluice.HasExited)
            {
                throw new BenchFailure($"sluice run exited with {sluice.ExitCode} before {name} held every event; last lines of {sluice.LogPath}:\n{sluice.Tail()}");
            }

            await Task.Delay(ProbeTrusted ? Poll : UntrustedPoll, ct);
        }
    }
}
