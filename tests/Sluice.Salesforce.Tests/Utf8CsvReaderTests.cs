using System.Text;
using CsCheck;
using Sluice.Salesforce.Bulk;

namespace Sluice.Salesforce.Tests;

/// <summary>
/// The Bulk query results reader that works on bytes reads what the character reader (<see cref="CsvRows"/>) reads,
/// cell for cell, however the stream cuts the bytes.
/// </summary>
public sealed class Utf8CsvReaderTests
{
    [Theory]
    [InlineData("Id,Name\n001,Acme\n")]
    [InlineData("Id,Name\r\n001,\"Acme, Inc.\"\r\n002,\"two\nlines\"\r\n")]
    [InlineData("a,\"say \"\"hi\"\"\",c\n")]
    [InlineData("a,,\"\",d\n,\n\n")]
    [InlineData("no line end at the end,x")]
    [InlineData("a\"b\"c,\"q\"tail,x\ry\n\"open")]
    [InlineData("Ünïcødé,日本語,🙂\r\n\"é\"\"\",\"\r\n\"\n")]
    [InlineData("\r\n\r\r")]
    [InlineData("")]
    public async Task Reads_what_the_character_reader_reads(string csv)
    {
        foreach (var chunk in new[] { 1, 2, 3, 5, 4096 })
        {
            Assert.Equal(await OldAsync(csv), await NewAsync(Encoding.UTF8.GetBytes(csv), chunk, bufferSize: 16));
        }
    }

    [Fact]
    public async Task Empty_and_null_cells_are_empty_and_quoted_text_is_not_split_at_its_commas()
    {
        using var reader = new Utf8CsvReader(new MemoryStream("a,,\"\",\"x,y\"\n"u8.ToArray()));
        Assert.True(await reader.ReadAsync(CancellationToken.None));
        Assert.Equal(4, reader.Count);
        Assert.False(reader.IsEmpty(0));
        Assert.True(reader.IsEmpty(1));
        Assert.True(reader.IsEmpty(2));
        Assert.True(reader.TryGetSpan(3, out var span));
        Assert.Equal("x,y", Encoding.UTF8.GetString(span));
        Assert.False(await reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_byte_order_mark_is_not_part_of_the_first_cell()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("Id,Name\n1,a\n")).ToArray();
        Assert.Equal([["Id", "Name"], ["1", "a"]], await NewAsync(bytes, chunk: 1, bufferSize: 16));
    }

    [Fact]
    public void Any_CSV_cut_anywhere_reads_as_the_character_reader_reads_it()
    {
        // Text of the characters that matter to CSV, and characters of two, three and four UTF-8 bytes, whose bytes the
        // chunks and a small buffer cut anywhere.
        var text = Gen.OneOf(Gen.Const("a"), Gen.Const("Z9"), Gen.Const(","), Gen.Const("\""), Gen.Const("\"\""), Gen.Const("\r"), Gen.Const("\n"),
                Gen.Const("\r\n"), Gen.Const("é"), Gen.Const("€"), Gen.Const("𝄞"), Gen.Const(" "))
            .Array[0, 60].Select(parts => string.Concat(parts));
        Gen.Select(text, Gen.Int[1, 9], Gen.Int[16, 40]).Sample(sample =>
        {
            var (csv, chunk, buffer) = sample;
            var expected = OldAsync(csv).GetAwaiter().GetResult();
            var actual = NewAsync(Encoding.UTF8.GetBytes(csv), chunk, buffer).GetAwaiter().GetResult();
            return expected.Count == actual.Count && expected.Zip(actual).All(p => p.First.SequenceEqual(p.Second));
        }, iter: 20_000);
    }

    private static async Task<List<string[]>> OldAsync(string csv)
    {
        var rows = new List<string[]>();
        await foreach (var row in CsvRows.ReadAsync(new StringReader(csv)))
        {
            rows.Add(row);
        }

        return rows;
    }

    private static async Task<List<string[]>> NewAsync(byte[] bytes, int chunk, int bufferSize)
    {
        var rows = new List<string[]>();
        using var reader = new Utf8CsvReader(new ChunkedStream(bytes, chunk), bufferSize);
        while (await reader.ReadAsync(CancellationToken.None))
        {
            rows.Add(reader.ToArray());
        }

        return rows;
    }

    /// <summary>A stream that answers at most <paramref name="chunk"/> bytes a read, as a network stream may.</summary>
    private sealed class ChunkedStream(byte[] bytes, int chunk) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => bytes.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), bytes.Length - _position);
            Array.Copy(bytes, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
