using Sluice.Core.Records;
using Sluice.Salesforce.Describe;

namespace Sluice.Salesforce.Source;

/// <summary>
/// A field a Salesforce source reads, resolved against describe: its SOQL path in the org's casing (<c>Account.Name</c>,
/// which is also its column name and its Bulk CSV header), the path's steps, and the type of the field it ends at.
/// </summary>
internal sealed record SourceField(string Path, IReadOnlyList<string> Steps, FieldDescription Field)
{
    public ColumnType Type => Field.Type switch
    {
        "int" or "long" => ColumnType.Integer,
        "double" or "currency" or "percent" => ColumnType.Decimal,
        "boolean" => ColumnType.Boolean,
        "date" => ColumnType.Date,
        "datetime" => ColumnType.TimestampWithTimeZone,
        _ => ColumnType.Text,
    };

    public SourceColumn Column => new(Path, Field.Type, Type, IsNullable: Path != "Id" && Field.Type != "boolean");
}
