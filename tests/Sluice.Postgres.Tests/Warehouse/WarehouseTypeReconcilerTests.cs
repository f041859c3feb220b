using Sluice.Postgres.Destinations.Warehouse;
using static Sluice.Postgres.Tests.Warehouse.WarehouseTypesTests;

namespace Sluice.Postgres.Tests.Warehouse;

public sealed class WarehouseTypeReconcilerTests
{
    [Theory]
    [InlineData("42", WarehouseType.Text, "42")]
    [InlineData("1.50", WarehouseType.Text, "1.50")]
    [InlineData("true", WarehouseType.Text, "true")]
    [InlineData("\"2024-01-02T03:04:05+02:00\"", WarehouseType.Text, "2024-01-02T03:04:05+02:00")]
    [InlineData("[1,2]", WarehouseType.Text, "[1,2]")]
    [InlineData("42", WarehouseType.Numeric, "42")]
    [InlineData("42", WarehouseType.BigInt, "42")]
    [InlineData("\"2024-01-02T03:04:05Z\"", WarehouseType.TimestampTz, "2024-01-02T03:04:05Z")]
    [InlineData("false", WarehouseType.Boolean, "false")]
    [InlineData("\"id-1\"", WarehouseType.Id, "id-1")]
    [InlineData("\"say \\\"hi\\\"\"", WarehouseType.Jsonb, "\"say \\\"hi\\\"\"")]
    [InlineData("7", WarehouseType.Jsonb, "7")]
    public void Values_that_fit_the_existing_column_are_written(string json, WarehouseType existing, string expected)
    {
        var discards = new List<WarehouseDiscard>();
        var row = Reconcile(json, existing, discards);
        Assert.Empty(discards);
        Assert.Equal((existing, expected), (row.Cells[1].Type, row.Cells[1].Value));
    }

    [Theory]
    [InlineData("1.5", WarehouseType.BigInt, "64-bit integer")]
    [InlineData("12345678901234567890123", WarehouseType.BigInt, "64-bit integer")]
    [InlineData("\"soon\"", WarehouseType.TimestampTz, "ISO-8601")]
    [InlineData("42", WarehouseType.TimestampTz, "ISO-8601")]
    [InlineData("\"true\"", WarehouseType.Boolean, "boolean column")]
    [InlineData("1", WarehouseType.Boolean, "boolean column")]
    [InlineData("\"42\"", WarehouseType.BigInt, "bigint column")]
    [InlineData("true", WarehouseType.Numeric, "numeric column")]
    [InlineData("\"2024-01-02T03:04:05Z\"", WarehouseType.BigInt, "bigint column")]
    public void A_conflicting_value_is_nulled_and_discarded_but_the_row_is_kept(string json, WarehouseType existing, string reason)
    {
        var discards = new List<WarehouseDiscard>();
        var row = Reconcile(json, existing, discards);

        Assert.Equal(2, row.Cells.Count);
        Assert.Equal("m", row.Cells[0].Value);
        Assert.Null(row.Cells[1].Value);
        var discard = Assert.Single(discards);
        Assert.Equal(("t", "m", "c"), (discard.Table, discard.RowId, discard.Column));
        Assert.Equal(WarehouseTypes.Infer("c", Parse(json))!.Raw, discard.Value);
        Assert.Contains(reason, discard.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_id_too_long_for_varchar_1024_is_a_conflict()
    {
        var discards = new List<WarehouseDiscard>();
        Reconcile($"\"{new string('x', 1025)}\"", WarehouseType.Id, discards);
        Assert.Contains("varchar(1024)", Assert.Single(discards).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cell_whose_column_is_not_in_the_schema_is_a_loader_bug()
    {
        var row = new WarehouseRow("t", WarehouseTableKind.Tracks, "m", [new WarehouseCell("nope", WarehouseType.Text, "x", "x")], null);
        Assert.Throws<InvalidOperationException>(() => WarehouseTypeReconciler.Reconcile(row, new Dictionary<string, WarehouseType>(), []));
    }

    private static WarehouseRow Reconcile(string json, WarehouseType existing, List<WarehouseDiscard> discards)
    {
        var cell = WarehouseTypes.Infer("c", Parse(json))!;
        var row = new WarehouseRow("t", WarehouseTableKind.Event, "m", [new WarehouseCell("id", WarehouseType.Id, "m", "m"), cell], null);
        var columns = new Dictionary<string, WarehouseType> { ["id"] = WarehouseType.Id, ["c"] = existing };
        return WarehouseTypeReconciler.Reconcile(row, columns, discards);
    }
}
