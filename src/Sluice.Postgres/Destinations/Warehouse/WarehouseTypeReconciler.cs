using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// Fits a row's values to the types its table's columns already have; the existing type always wins. What fits:
/// <list type="bullet">
/// <item>the same type;</item>
/// <item>a text column takes anything, as the value's <see cref="WarehouseCell.Raw"/> text;</item>
/// <item>a varchar(1024) id column takes text up to 1024 characters;</item>
/// <item>a numeric column takes an integer;</item>
/// <item>a jsonb column takes anything, as JSON (strings quoted).</item>
/// </list>
/// Everything else is a conflict: a non-integer into bigint (RudderStack truncates; that loses data), a string that
/// is not a date-time into timestamptz, anything but a boolean into boolean, a string into a number. A conflicting
/// value becomes NULL in the row and a <see cref="WarehouseDiscard"/>: the event is still written.
/// </summary>
internal static class WarehouseTypeReconciler
{
    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="row">A planned row.</param>
    /// <param name="columns">The table's columns, after this batch's DDL: every cell's column must be there.</param>
    /// <param name="discards">Receives one entry per conflicting value.</param>
    public static WarehouseRow Reconcile(WarehouseRow row, IReadOnlyDictionary<string, WarehouseType> columns, ICollection<WarehouseDiscard> discards)
    {
        // Most cells already have their column's type: they, and a row of only such cells, are kept as they are.
        var cells = new List<WarehouseCell>(row.Cells.Count);
        var changed = false;
        foreach (var cell in row.Cells)
        {
            if (!columns.TryGetValue(cell.Column, out var target))
            {
                throw new InvalidOperationException(
                    $"{row.Table}.{cell.Column} is not in the schema; plan and apply the batch's DDL (WarehouseSchemaPlanner) before reconciling");
            }

            if (TryConvert(cell, target, out var value, out var reason))
            {
                var same = cell.Type == target && ReferenceEquals(value, cell.Value);
                cells.Add(same ? cell : cell with { Type = target, Value = value });
                changed |= !same;
            }
            else
            {
                discards.Add(new WarehouseDiscard(row.Table, row.Id, cell.Column, cell.Raw, row.ReceivedAt, reason));
                cells.Add(cell with { Type = target, Value = null });
                changed = true;
            }
        }

        return changed ? row with { Cells = cells } : row;
    }

    /// <summary>The value of <paramref name="cell"/> for a column of type <paramref name="target"/>, or why not.</summary>
    public static bool TryConvert(WarehouseCell cell, WarehouseType target, out string? value, out string reason)
    {
        reason = "";
        value = cell.Value;
        var source = cell.Type;
        if (source == target && target != WarehouseType.Id)
        {
            return true;
        }

        switch (target)
        {
            case WarehouseType.Text:
                value = cell.Raw;
                return true;
            case WarehouseType.Id when source is WarehouseType.Id or WarehouseType.Text:
                if (cell.Raw.Length <= WarehouseRowPlanner.MaxIdLength)
                {
                    value = cell.Raw;
                    return true;
                }

                reason = $"{cell.Raw.Length} characters do not fit in varchar({WarehouseRowPlanner.MaxIdLength})";
                return false;
            case WarehouseType.Numeric when source is WarehouseType.BigInt:
                return true;
            case WarehouseType.Jsonb:
                value = source is WarehouseType.BigInt or WarehouseType.Numeric or WarehouseType.Boolean
                    ? cell.Value
                    : JsonSerializer.Serialize(cell.Raw, RelaxedJson);
                return true;
            default:
                reason = cell.IsNumber
                    ? $"the number is beyond what PostgreSQL's numeric holds (an exponent past ±1000), so it is kept as text, which does not fit a {WarehouseTypes.ToPostgres(target)} column"
                    : Conflict(source, target);
                return false;
        }
    }

    private static string Conflict(WarehouseType source, WarehouseType target) => (source, target) switch
    {
        // Never rounded: an integer value is already a bigint cell, so a numeric one is a fraction or too large.
        (WarehouseType.Numeric, WarehouseType.BigInt) => "a number that is not a 64-bit integer does not fit a bigint column without loss",
        (_, WarehouseType.TimestampTz) => $"a {Describe(source)} is not an ISO-8601 date-time for a timestamptz column",
        _ => $"a {Describe(source)} does not fit a {WarehouseTypes.ToPostgres(target)} column",
    };

    private static string Describe(WarehouseType type) => type switch
    {
        WarehouseType.Text or WarehouseType.Id => "string",
        WarehouseType.BigInt => "integer",
        WarehouseType.Numeric => "number",
        WarehouseType.Boolean => "boolean",
        WarehouseType.TimestampTz => "date-time",
        _ => WarehouseTypes.ToPostgres(type),
    };
}
