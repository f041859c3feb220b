using System.Diagnostics;
using Npgsql;

namespace Sluice.Bench.Harness;

/// <summary>
/// PostgreSQL's own read rate for a query: <c>COPY (query) TO STDOUT</c>, read by Npgsql and thrown away.
/// No engine can read a table faster through the protocol, so this is the ceiling a sync is measured against.
/// </summary>
internal static class RawCopy
{
    private const int BufferSize = 1 << 16;

    public static async Task<RawCopyRun> TextAsync(NpgsqlDataSource db, string query, int run, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var clock = Stopwatch.StartNew();
        using var reader = await connection.BeginTextExportAsync($"COPY ({query}) TO STDOUT", ct);
        var buffer = new char[BufferSize];
        long rows = 0, chars = 0;
        int read;
        while ((read = await reader.ReadAsync(buffer, ct)) > 0)
        {
            rows += buffer.AsSpan(0, read).Count('\n');
            chars += read;
        }

        return new RawCopyRun("text", run, rows, chars, clock.Elapsed.TotalSeconds);
    }

    /// <param name="rows">Rows the query returns; binary COPY is not parsed, so they are not counted here.</param>
    public static async Task<RawCopyRun> BinaryAsync(NpgsqlDataSource db, string query, long rows, int run, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var clock = Stopwatch.StartNew();
        long bytes = 0;
        await using (var stream = await connection.BeginRawBinaryCopyAsync($"COPY ({query}) TO STDOUT (FORMAT BINARY)", ct))
        {
            var buffer = new byte[BufferSize];
            int read;
            while ((read = await stream.ReadAsync(buffer, ct)) > 0)
            {
                bytes += read;
            }
        }

        return new RawCopyRun("binary", run, rows, bytes, clock.Elapsed.TotalSeconds);
    }
}
