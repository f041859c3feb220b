using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Records;
using Sluice.Testing.Doubles;

namespace Sluice.Core.Tests.Engine;

public sealed class BatcherTests
{
    [Fact]
    public void A_batch_takes_records_up_to_the_count_limit()
    {
        var batcher = new Batcher(maxRecords: 3, maxBytes: 1_000_000);
        for (var i = 0; i < 3; i++)
        {
            var record = Record(i, bytes: 10);
            Assert.True(batcher.Fits(record));
            batcher.Add(record);
        }

        Assert.Equal(3, batcher.Count);
        Assert.False(batcher.Fits(Record(3, bytes: 1)));
    }

    [Fact]
    public void Each_record_costs_its_payload_plus_one_separator_byte()
    {
        var batcher = new Batcher(maxRecords: 100, maxBytes: 1000);
        batcher.Add(Record(0, bytes: 10));
        batcher.Add(Record(1, bytes: 20));

        Assert.Equal(11 + 21, batcher.Bytes);
    }

    [Fact]
    public void A_record_that_exactly_fills_the_byte_limit_fits()
    {
        // Two records of 9 bytes cost 2 × (9 + 1) = 20 bytes.
        var batcher = new Batcher(maxRecords: 100, maxBytes: 20);
        batcher.Add(Record(0, bytes: 9));

        Assert.True(batcher.Fits(Record(1, bytes: 9)));
    }

    [Fact]
    public void A_record_that_would_overflow_the_byte_limit_starts_a_new_batch()
    {
        // 9 + 1 + 10 + 1 = 21 > 20: the separator byte is what tips it over.
        var batcher = new Batcher(maxRecords: 100, maxBytes: 20);
        batcher.Add(Record(0, bytes: 9));

        Assert.False(batcher.Fits(Record(1, bytes: 10)));
    }

    [Fact]
    public void Take_hands_over_the_batch_and_starts_an_empty_one()
    {
        var batcher = new Batcher(maxRecords: 2, maxBytes: 100);
        var first = Record(0, bytes: 40);
        var second = Record(1, bytes: 40);
        batcher.Add(first);
        batcher.Add(second);

        var taken = batcher.Take();

        Assert.Equal([first, second], taken);
        Assert.Equal(0, batcher.Count);
        Assert.Equal(0, batcher.Bytes);
        Assert.True(batcher.Fits(Record(2, bytes: 40)));
    }

    [Fact]
    public void A_taken_batch_is_not_changed_by_later_adds()
    {
        var batcher = new Batcher(maxRecords: 10, maxBytes: 1000);
        batcher.Add(Record(0, bytes: 5));
        var taken = batcher.Take();

        batcher.Add(Record(1, bytes: 5));

        Assert.Single(taken);
        Assert.Equal(1, batcher.Count);
    }

    [Fact]
    public void The_limits_are_those_it_was_given()
    {
        var batcher = new Batcher(maxRecords: 7, maxBytes: 123);

        Assert.Equal(7, batcher.MaxRecords);
        Assert.Equal(123, batcher.MaxBytes);
    }

    private static EncodedRecord Record(int offset, int bytes) =>
        new(new Change($"k{offset}", ChangeOperation.Upsert, [], new TestPosition(offset)), $"m{offset}", new byte[bytes]);
}
