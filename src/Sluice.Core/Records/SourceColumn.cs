namespace Sluice.Core.Records;

/// <summary>A column a source can read: its name, the type the database reports, and our view of that type.</summary>
public sealed record SourceColumn(string Name, string DatabaseType, ColumnType Type, bool IsNullable);
