using System.Buffers.Binary;
using Npgsql;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Destinations;

/// <summary>
/// <see cref="RawCopyIn"/>: a COPY whose write throws is abandoned, not ended — the caller sees the write's exception
/// (a stopped run's cancellation, not the server's answer to a stream cut short), the server keeps none of its rows, and
/// the connection goes on. A CI run saw a sync stopped mid-commit report "COPY file signature not recognized".
/// </summary>
public sealed class RawCopyInTests
{
    [Fact]
    public async Task A_write_cancelled_before_its_first_byte_reports_the_cancellation()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_write_cancelled_before_its_first_byte_reports_the_cancellation));
        await using var connection = await OpenWithTableAsync(db);
        using var stopped = new CancellationTokenSource();

        var thrown = await Record.ExceptionAsync(() => RawCopyIn.RunAsync(connection, Copy, stopped, static async (copy, stopped, ct) =>
        {
            await stopped.CancelAsync();
            await copy.WriteAsync(Rows(1), stopped.Token);
        }, CancellationToken.None));

        Assert.True(thrown is OperationCanceledException, $"the COPY ended with {thrown}");
        Assert.Equal(0L, await CountAsync(connection));
    }

    [Fact]
    public async Task A_write_that_fails_after_whole_rows_keeps_none_of_them()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_write_that_fails_after_whole_rows_keeps_none_of_them));
        await using var connection = await OpenWithTableAsync(db);

        // Header and three whole rows, no trailer: ended rather than abandoned, the server would take the three rows.
        var thrown = await Record.ExceptionAsync(() => RawCopyIn.RunAsync(connection, Copy, 0, static async (copy, _, ct) =>
        {
            var rows = Rows(3);
            await copy.WriteAsync(rows.AsMemory(..^2), ct);
            await copy.FlushAsync(ct);
            throw new IOException("the source went away");
        }, CancellationToken.None));

        Assert.Equal("the source went away", Assert.IsType<IOException>(thrown).Message);
        Assert.Equal(0L, await CountAsync(connection));
    }

    [Fact]
    public async Task A_whole_stream_is_written_and_what_the_server_refuses_throws()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_whole_stream_is_written_and_what_the_server_refuses_throws));
        await using var connection = await OpenWithTableAsync(db);

        await RawCopyIn.RunAsync(connection, Copy, 0, static (copy, _, ct) => copy.WriteAsync(Rows(3), ct).AsTask(), CancellationToken.None);
        Assert.Equal(3L, await CountAsync(connection));

        // The same keys again: the primary key refuses them when the COPY ends.
        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            RawCopyIn.RunAsync(connection, Copy, 0, static (copy, _, ct) => copy.WriteAsync(Rows(3), ct).AsTask(), CancellationToken.None));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, refused.SqlState);
        Assert.Equal(3L, await CountAsync(connection));
    }

    private const string Copy = "COPY numbers (n) FROM STDIN (FORMAT BINARY)";

    private static async Task<NpgsqlConnection> OpenWithTableAsync(NpgsqlDataSource db)
    {
        var connection = await db.OpenConnectionAsync();
        await using var create = new NpgsqlCommand("CREATE TABLE numbers (n bigint PRIMARY KEY)", connection);
        await create.ExecuteNonQueryAsync();
        return connection;
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection)
    {
        await using var count = new NpgsqlCommand("SELECT count(*) FROM numbers", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>A whole binary COPY stream of the rows 1..<paramref name="count"/>.</summary>
    private static byte[] Rows(int count)
    {
        var bytes = new byte[BinaryCopyFields.HeaderLength + (count * (2 + 4 + 8)) + 2];
        BinaryCopyFields.Header.CopyTo(bytes);
        var at = BinaryCopyFields.HeaderLength;
        for (var n = 1; n <= count; n++)
        {
            BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(at), 1);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(at + 2), 8);
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(at + 6), n);
            at += 2 + 4 + 8;
        }

        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(at), -1);
        return bytes;
    }
}
