using Sluice.Core.Checkpoints;
using Sluice.Salesforce.Source;
using Sluice.Testing;

namespace Sluice.Salesforce.Tests.Golden;

/// <summary>
/// The Salesforce source's checkpoint (format <c>salesforce</c>), pinned by golden files beside this test: a fixed
/// position is written exactly as the file says and the file reads back to it. A stored format only grows.
/// </summary>
public sealed class SalesforceCheckpointGoldenTests
{
    private const long Stamp = 1_717_236_000_123; // 2024-06-01T10:00:00.123Z

    [Fact]
    public void A_position_inside_the_initial_load_is_stored_as_its_golden_file()
    {
        var window = new DeliveredWindow([]);
        var sequence = window.Add("006Hs00000000AbIAA", Stamp, deleted: false);
        var checkpoint = new SalesforcePosition
        {
            Loading = true,
            Job = "750Hs0000000001IAA",
            Page = "MTAwMDA=",
            Row = 41,
            MaxMs = Stamp,
            DeletedFromMs = Stamp - 300_000,
            Window = window,
            Sequence = sequence,
            Lookback = TimeSpan.FromMinutes(5),
        }.ToCheckpoint();

        GoldenFile.AssertMatches(Text(checkpoint), "salesforce-load.v1.txt");
        var back = SalesforcePosition.Read(Parse(GoldenFile.Read("salesforce-load.v1.txt")))!;
        Assert.Equal(("load", "750Hs0000000001IAA", "MTAwMDA=", 41), (back.Phase, back.Job, back.Page, back.Row));
        Assert.Equal([new DeliveredVersion("006Hs00000000AbIAA", Stamp, false)], back.Versions());
    }

    [Fact]
    public void A_position_between_polls_keeps_only_the_versions_above_its_floor_as_its_golden_file()
    {
        var window = new DeliveredWindow([new DeliveredVersion("006Hs00000000AaIAA", Stamp - 600_000, false)]);
        window.Add("006Hs00000000AbIAA", Stamp, deleted: false);
        var sequence = window.Add("006Hs00000000AcIAA", Stamp - 1_000, deleted: true);
        var checkpoint = new SalesforcePosition
        {
            Loading = false,
            MaxMs = Stamp,
            FloorMs = Stamp - 300_000,
            DeletedFromMs = Stamp - 240_000,
            Window = window,
            Sequence = sequence,
            Lookback = TimeSpan.FromMinutes(5),
        }.ToCheckpoint();

        GoldenFile.AssertMatches(Text(checkpoint), "salesforce-poll.v1.txt");
        var back = SalesforcePosition.Read(Parse(GoldenFile.Read("salesforce-poll.v1.txt")))!;
        Assert.Equal(("poll", Stamp - 300_000, Stamp - 240_000), (back.Phase, back.Floor, back.DeletedFrom));
        // The version stamped 10 minutes before is below the floor: no poll reads it again, so it is not kept.
        Assert.Equal(
            [new DeliveredVersion("006Hs00000000AbIAA", Stamp, false), new DeliveredVersion("006Hs00000000AcIAA", Stamp - 1_000, true)],
            back.Versions().OrderBy(v => v.Id, StringComparer.Ordinal));
    }

    private static string Text(Checkpoint checkpoint) => $"{checkpoint.Format}\n{checkpoint.Version}\n{checkpoint.Value}\n";

    private static Checkpoint Parse(string text)
    {
        var lines = text.Split('\n');
        return new Checkpoint(lines[0], int.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture), lines[2]);
    }
}
