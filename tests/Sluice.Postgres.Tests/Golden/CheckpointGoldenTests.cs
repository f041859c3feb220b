using System.Text.Json;
using NpgsqlTypes;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Postgres.Cdc;
using Sluice.Postgres.Sources;
using Sluice.State.Ingest;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Golden;

/// <summary>
/// Every checkpoint format a PostgreSQL source stores, pinned by a golden file beside this test: a fixed position is
/// written exactly as the file says, and the file reads back to the same position. A stored format may only grow: a
/// new field is a new golden file, an old one is never rewritten (sources read every version they ever wrote).
/// </summary>
public sealed class CheckpointGoldenTests
{
    private static readonly DateTime Cursor = new DateTime(2024, 3, 2, 10, 0, 0, DateTimeKind.Utc).AddTicks(1_234_560);

    [Fact]
    public void A_table_position_is_stored_as_its_golden_file()
    {
        var checkpoint = new TablePosition(Cursor, [4711L, "acme"]).ToCheckpoint();

        GoldenFile.AssertMatches(Text(checkpoint), "pg-table.v1.txt");
        var back = TablePosition.FromCheckpoint(Parse(GoldenFile.Read("pg-table.v1.txt")), "golden");
        Assert.Equal("2024-03-02 10:00:00.123456+00", back.Cursor);
        Assert.Equal(["4711", "acme"], back.Key);
        Assert.Null(back.Range);
    }

    [Fact]
    public void A_backfill_position_is_stored_with_its_range_as_its_golden_file()
    {
        var range = new SourceRange(ByKey: false, "2024-01-01 00:00:00+00", "2024-07-01 00:00:00+00") { Column = "updated_at" };
        var checkpoint = new TablePosition(Cursor, [4711L]) { Range = range }.ToCheckpoint();

        GoldenFile.AssertMatches(Text(checkpoint), "pg-table-backfill.v1.txt");
        var back = TablePosition.FromCheckpoint(Parse(GoldenFile.Read("pg-table-backfill.v1.txt")), "golden");
        Assert.True(back.Range!.SameBounds(range));
        Assert.Equal("updated_at", back.Range.Column);
        Assert.Equal("cursor 2024-03-02 10:00:00.123456+00, key 4711", back.Describe());
    }

    [Fact]
    public void A_position_read_with_a_one_column_key_is_stored_as_the_backfill_golden_file()
    {
        // A table read keeps no key array for a one-column key (TablePosition.OfSingleKey); its checkpoint is the same.
        var range = new SourceRange(ByKey: false, "2024-01-01 00:00:00+00", "2024-07-01 00:00:00+00") { Column = "updated_at" };
        var checkpoint = TablePosition.OfSingleKey(Cursor, 4711L, range).ToCheckpoint();

        GoldenFile.AssertMatches(Text(checkpoint), "pg-table-backfill.v1.txt");
        Assert.Equal(["4711"], TablePosition.OfSingleKey(Cursor, 4711L, null).Key);
    }

    [Fact]
    public void A_diffing_source_position_is_stored_as_its_golden_file()
    {
        var checkpoint = new QueryPosition("r0042").ToCheckpoint();

        GoldenFile.AssertMatches(Text(checkpoint), "pg-diff.v1.txt");
        var back = Parse(GoldenFile.Read("pg-diff.v1.txt"));
        QueryPosition.Validate(back, "golden");
        Assert.Equal("r0042", JsonSerializer.Deserialize(back.Value, QueryPositionJson.Default.Stored)!.LastKey);
    }

    [Fact]
    public void A_table_shaped_diffing_source_position_keeps_its_snapshot_as_its_golden_file()
    {
        var snapshot = new QuerySourceSnapshot(4_294_967_396, 4_294_967_410, "7312345678901234567/16384", "0123456789abcdef0123456789abcdef");
        var checkpoint = new QueryPosition("r0042", snapshot).ToCheckpoint();

        GoldenFile.AssertMatches(Text(checkpoint), "pg-diff.v2.txt");
        var back = QueryPosition.SinceOf(Parse(GoldenFile.Read("pg-diff.v2.txt")), "golden")!;
        Assert.Equal((snapshot.Xmin, snapshot.Xmax, snapshot.Cluster, snapshot.Shape), (back.Xmin, back.Xmax, back.Cluster, back.Shape));
        Assert.Null(QueryPosition.SinceOf(Parse(GoldenFile.Read("pg-diff.v1.txt")), "golden"));
    }

    [Fact]
    public void A_cdc_position_is_stored_as_its_golden_file_during_the_copy_and_after()
    {
        var streamed = CdcPosition.Streamed(new NpgsqlLogSequenceNumber(0x16B3748), 3);

        GoldenFile.AssertMatches(Text(CdcPosition.Copy.ToCheckpoint()) + Text(streamed.ToCheckpoint()), "pg-lsn.v1.txt");
        var lines = GoldenFile.Read("pg-lsn.v1.txt").Split('\n');
        Assert.True(CdcPosition.Parse(Parse(string.Join('\n', lines[..3]) + "\n"), "golden").Copying);
        var back = CdcPosition.Parse(Parse(string.Join('\n', lines[3..])), "golden");
        Assert.Equal((streamed.CommitLsn, streamed.Index, false), (back.CommitLsn, back.Index, back.Copying));
    }

    [Fact]
    public void An_ingest_queue_position_is_stored_as_its_golden_file()
    {
        var checkpoint = new IngestQueuePosition(771, 4242).ToCheckpoint();

        GoldenFile.AssertMatches(Text(checkpoint), "ingest-queue.v1.txt");
        var back = IngestQueuePosition.TryParse(Parse(GoldenFile.Read("ingest-queue.v1.txt")))!;
        Assert.Equal((771UL, 4242L), (back.Xid, back.Position));
    }

    /// <summary>A checkpoint as its three stored fields, a line each.</summary>
    private static string Text(Checkpoint checkpoint) => $"{checkpoint.Format}\n{checkpoint.Version}\n{checkpoint.Value}\n";

    private static Checkpoint Parse(string text)
    {
        var lines = text.Split('\n');
        return new Checkpoint(lines[0], int.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture), lines[2]);
    }
}
