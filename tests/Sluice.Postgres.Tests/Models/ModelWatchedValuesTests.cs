using Sluice.Postgres.Sources.Models;

namespace Sluice.Postgres.Tests.Models;

/// <summary>
/// <see cref="ModelWatchedValues"/> stands in for the dictionary a record's watched values and row counts were kept in:
/// the same lookups, the same pairs in the same order, and a row count's text as PostgreSQL writes a bigint.
/// </summary>
public sealed class ModelWatchedValuesTests
{
    [Fact]
    public void Looks_up_and_enumerates_as_a_dictionary_of_the_same_pairs()
    {
        string[] names = ["plan", "status", "#rows in public.orders by customer_id"];
        var values = new ModelWatchedValues(names, ["pro", null, "3"]);
        var dictionary = new Dictionary<string, string?>(StringComparer.Ordinal) { ["plan"] = "pro", ["status"] = null, ["#rows in public.orders by customer_id"] = "3" };

        Assert.Equal(dictionary.ToList(), values.ToList());
        Assert.Equal(3, values.Count);
        Assert.Equal(names, values.Keys);
        Assert.True(values.TryGetValue("status", out var status));
        Assert.Null(status);
        Assert.Equal("pro", values["plan"]);
        Assert.False(values.ContainsKey("Plan"));
        Assert.False(values.TryGetValue("missing", out _));
        Assert.Throws<KeyNotFoundException>(() => values["missing"]);
        Assert.Equal("3", values.GetValueOrDefault("#rows in public.orders by customer_id"));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(7L)]
    [InlineData(1023L)]
    [InlineData(1024L)]
    [InlineData(9_000_000_000L)]
    public void A_row_count_reads_as_its_bigint_text(long count) =>
        Assert.Equal(count.ToString(System.Globalization.CultureInfo.InvariantCulture), ModelWatchedValues.CountText(count));
}
