using Sluice.Core.Checkpoints;
using Sluice.Postgres.Sources.Models;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Golden;

/// <summary>A model's checkpoint (<c>pg-model</c>), pinned by golden files: at the end of a read, and within one.</summary>
public sealed class ModelCheckpointGoldenTests
{
    private static readonly Dictionary<string, string> Cursors = new()
    {
        ["public.orders"] = "2024-03-02 10:00:00.123456+00",
        ["public.customers"] = "2024-03-01 09:00:00+00",
    };

    [Fact]
    public void A_model_position_at_the_end_of_a_read_is_stored_as_its_golden_file()
    {
        var checkpoint = new ModelPosition { Cursors = Cursors, ReconciledAt = new DateTimeOffset(2024, 3, 2, 0, 0, 0, TimeSpan.Zero) }.ToCheckpoint();

        GoldenFile.AssertMatches(Text(checkpoint), "pg-model.v1.txt");
        var back = ModelPosition.FromCheckpoint(Parse(GoldenFile.Read("pg-model.v1.txt")), "golden");
        Assert.Equal(Cursors.OrderBy(c => c.Key, StringComparer.Ordinal), back.Cursors.OrderBy(c => c.Key, StringComparer.Ordinal));
        Assert.Equal(new DateTimeOffset(2024, 3, 2, 0, 0, 0, TimeSpan.Zero), back.ReconciledAt);
        Assert.Null(back.Reading);
    }

    [Fact]
    public void A_model_position_within_a_read_of_changed_records_is_stored_as_its_golden_file()
    {
        var to = new Dictionary<string, string>(Cursors) { ["public.orders"] = "2024-03-03 00:00:00+00" };
        var checkpoint = new ModelPosition { Cursors = Cursors, Reading = new ModelRead(false, to, "4711") }.ToCheckpoint();

        GoldenFile.AssertMatches(Text(checkpoint), "pg-model-reading.v1.txt");
        var back = ModelPosition.FromCheckpoint(Parse(GoldenFile.Read("pg-model-reading.v1.txt")), "golden");
        Assert.Equal((false, "4711", "2024-03-03 00:00:00+00"), (back.Reading!.Whole, back.Reading.After, back.Reading.To["public.orders"]));
        Assert.Null(back.ReconciledAt);
    }

    private static string Text(Checkpoint checkpoint) => $"{checkpoint.Format}\n{checkpoint.Version}\n{checkpoint.Value}\n";

    private static Checkpoint Parse(string text)
    {
        var lines = text.Split('\n');
        return new Checkpoint(lines[0], int.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture), lines[2]);
    }
}
