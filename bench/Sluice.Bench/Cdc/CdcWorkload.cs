using System.Diagnostics;
using Npgsql;
using Sluice.Bench.Harness;

namespace Sluice.Bench.Cdc;

/// <summary>The changes the benchmark makes to <c>public.users</c>.</summary>
internal static class CdcWorkload
{
    /// <summary>The column the latency phase writes its sequence number to; the sync's mapping sends it as a trait.</summary>
    public const string SequenceColumn = "bench_seq";

    /// <summary>
    /// <paramref name="updates"/> row changes as UPDATEs of <paramref name="perTransaction"/> consecutive ids, one
    /// transaction each, cycling over the table. Only <c>lifetime_value</c> changes (no indexed column), so the
    /// updates are HOT, as most application updates are. Asynchronous commit: the workload only has to make the WAL,
    /// it is not what is measured. Returns the seconds it took.
    /// </summary>
    public static async Task<double> RunAsync(NpgsqlDataSource db, long minId, long users, long updates, int perTransaction, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using (var setup = new NpgsqlCommand("SET synchronous_commit = off", connection))
        {
            await setup.ExecuteNonQueryAsync(ct);
        }

        await using var update = new NpgsqlCommand("UPDATE public.users SET lifetime_value = lifetime_value + 1 WHERE id BETWEEN $1 AND $2", connection);
        update.Parameters.Add(new NpgsqlParameter<long>());
        update.Parameters.Add(new NpgsqlParameter<long>());
        await update.PrepareAsync(ct);

        var progress = new ConsoleProgress($"workload     {updates:N0} updates", updates);
        var clock = Stopwatch.StartNew();
        long done = 0, next = 0;
        while (done < updates)
        {
            var count = Math.Min(perTransaction, Math.Min(updates - done, users - next));
            ((NpgsqlParameter<long>)update.Parameters[0]).TypedValue = minId + next;
            ((NpgsqlParameter<long>)update.Parameters[1]).TypedValue = minId + next + count - 1;
            var changed = await update.ExecuteNonQueryAsync(ct);
            if (changed != count)
            {
                throw new BenchFailure($"an UPDATE of ids {minId + next}..{minId + next + count - 1} changed {changed} rows, expected {count}");
            }

            done += count;
            next = (next + count) % users;
            if (done % (perTransaction * 100L) == 0)
            {
                progress.Report(done);
            }
        }

        var seconds = clock.Elapsed.TotalSeconds;
        progress.Done($"{updates:N0} rows in {(updates + perTransaction - 1) / perTransaction:N0} transactions in {seconds:F1} s ({updates / seconds:N0} rows/s)");
        return seconds;
    }

    /// <summary>
    /// Open loop at <paramref name="rate"/> changes/s: change <c>i</c> (1-based) is due at <c>i / rate</c> s and sets
    /// <see cref="SequenceColumn"/> = i on one row, in its own durable transaction, on a pooled connection, whether or not
    /// earlier ones have committed. Returns, by i, when each change was issued (the client's clock just before the UPDATE
    /// is sent): measuring from there rather than from the moment COMMIT returned counts the commit itself, and never
    /// comes out negative (the walsender may stream a change before its committer hears back).
    /// </summary>
    public static async Task<PacedWrites> PacedAsync(NpgsqlDataSource db, long minId, long users, int rate, int seconds, CancellationToken ct)
    {
        var count = rate * seconds;
        var issuedAt = new DateTime[count + 1];
        var interval = TimeSpan.FromSeconds(1.0 / rate);
        var writes = new List<Task>(count);
        double latestStart = 0;
        var clock = Stopwatch.StartNew();
        for (var i = 1; i <= count; i++)
        {
            var due = interval * i;
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, ct);
            }

            latestStart = Math.Max(latestStart, (clock.Elapsed - due).TotalMilliseconds);
            var sequence = i;
            var id = minId + (i - 1) % users;
            writes.Add(Task.Run(async () =>
            {
                await using var command = db.CreateCommand($"UPDATE public.users SET {SequenceColumn} = $1 WHERE id = $2");
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sequence });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
                issuedAt[sequence] = DateTime.UtcNow;
                await command.ExecuteNonQueryAsync(ct);
            }, ct));
        }

        await Task.WhenAll(writes);
        return new PacedWrites(rate, count, clock.Elapsed.TotalSeconds, latestStart, issuedAt);
    }
}
