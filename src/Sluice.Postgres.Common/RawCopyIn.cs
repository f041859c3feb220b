using Npgsql;

namespace Sluice.Postgres;

/// <summary>
/// A raw <c>COPY … FROM STDIN</c> that either ends as written or not at all. Npgsql's raw COPY stream ends the COPY when
/// it is disposed, whatever happened before: a write cut short by cancellation or a broken connection would hand the
/// server a truncated stream, which it either refuses with an error that hides the real cause ("COPY file signature not
/// recognized" for a stream cut before its header) or, cut at a row boundary, takes as complete. Here a write that
/// throws abandons the COPY instead (the server discards what it got) and the caller sees the write's exception.
/// </summary>
public static class RawCopyIn
{
    /// <summary>
    /// Runs <paramref name="copyFromStdin"/> with the bytes <paramref name="write"/> writes. The server checks the rows as
    /// they come and answers when the COPY ends: what it refused throws from here, as a <see cref="PostgresException"/>.
    /// </summary>
    public static async Task RunAsync<TState>(NpgsqlConnection connection, string copyFromStdin, TState state,
        Func<NpgsqlRawCopyStream, TState, CancellationToken, Task> write, CancellationToken ct)
    {
        var copy = await connection.BeginRawBinaryCopyAsync(copyFromStdin, ct);
        try
        {
            await write(copy, state, ct);
        }
        catch
        {
            await AbandonAsync(copy);
            throw;
        }

        await copy.DisposeAsync();
    }

    /// <summary>Runs <paramref name="copyFromStdin"/> with a whole encoded stream, header to trailer.</summary>
    public static Task RunAsync(NpgsqlConnection connection, string copyFromStdin, BinaryCopyStream rows, CancellationToken ct) =>
        RunAsync(connection, copyFromStdin, rows, static (copy, rows, ct) => copy.WriteAsync(rows.Stream, ct).AsTask(), ct);

    private static async Task AbandonAsync(NpgsqlRawCopyStream copy)
    {
        try
        {
            // CopyFail: the server ends the COPY with an error of its own, which Npgsql expects and swallows.
            await copy.CancelAsync();
        }
        catch (Exception)
        {
            // The connection broke under the write (Npgsql closes it then); the write's exception is the one to report.
        }

        try
        {
            await copy.DisposeAsync();
        }
        catch (Exception)
        {
            // As above: nothing left to end.
        }
    }
}
