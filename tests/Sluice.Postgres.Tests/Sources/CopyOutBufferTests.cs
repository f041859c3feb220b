using System.Buffers.Binary;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Sources;

/// <summary>
/// <see cref="CopyOutBuffer"/>: a binary COPY read many rows per fill gives every row once, in order, whatever the
/// buffer's size (a row longer than it grows it; a partial row waits for the next fill), and a read stopped part way,
/// with a read possibly still running into the buffer, leaves the connection usable.
/// </summary>
public sealed class CopyOutBufferTests
{
    private const string Numbers = "COPY (SELECT g::int8 FROM generate_series(1, 200000) g) TO STDOUT (FORMAT binary)";

    [Theory]
    [InlineData(7)] // smaller than the header and than a row: grows
    [InlineData(100)] // a few rows, a partial one at the end of nearly every fill
    [InlineData(1 << 16)]
    public async Task Every_row_comes_once_in_order(int capacity)
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(Every_row_comes_once_in_order) + capacity);
        await using var connection = await db.OpenConnectionAsync();
        await using var stream = await connection.BeginRawBinaryCopyAsync(Numbers);
        await using var buffer = new CopyOutBuffer(stream, capacity);

        long expected = 1, fills = 0;
        var headerRead = false;
        var ended = false;
        while (!ended)
        {
            var more = await buffer.FillAsync(default);
            fills++;
            var data = buffer.Data;
            var at = 0;
            if (!headerRead)
            {
                if (data.Length < BinaryCopyFields.HeaderLength)
                {
                    Assert.True(more, "the COPY ended inside its header");
                    continue;
                }

                Assert.True(data[..11].SequenceEqual(BinaryCopyFields.Signature));
                at = BinaryCopyFields.HeaderLength;
                headerRead = true;
            }

            while (data.Length - at >= 2)
            {
                var fields = BinaryPrimitives.ReadInt16BigEndian(data[at..]);
                if (fields == -1)
                {
                    at += 2;
                    ended = true;
                    break;
                }

                if (data.Length - at < 2 + 4 + 8)
                {
                    break;
                }

                Assert.Equal(1, fields);
                Assert.Equal(8, BinaryPrimitives.ReadInt32BigEndian(data[(at + 2)..]));
                Assert.Equal(expected++, BinaryPrimitives.ReadInt64BigEndian(data[(at + 6)..]));
                at += 2 + 4 + 8;
            }

            buffer.Consume(at);
            Assert.True(more || ended, $"the COPY ended after {expected - 1} rows without its end-of-data marker");
        }

        Assert.Equal(200_001, expected);
        Assert.False(await buffer.FillAsync(default), "nothing after the end-of-data marker");
        Assert.True(fills > 1);
    }

    [Fact]
    public async Task A_read_stopped_part_way_leaves_the_connection_usable()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_read_stopped_part_way_leaves_the_connection_usable));
        await using var connection = await db.OpenConnectionAsync();
        await using (var stream = await connection.BeginRawBinaryCopyAsync(Numbers))
        {
            var buffer = new CopyOutBuffer(stream, 1 << 12);
            Assert.True(await buffer.FillAsync(default));
            Assert.True(await buffer.FillAsync(default));

            // Whatever is still being read into the buffer ends first; then the driver drops the rest of the COPY.
            await buffer.DisposeAsync();
            await stream.CancelAsync();
        }

        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 41 + 1";
        Assert.Equal(42, await command.ExecuteScalarAsync());
    }
}
