using System.Collections.Concurrent;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Salesforce.Soql;

/// <summary>The SOQL view of a <see cref="SalesforceOrg"/>: its schemas as tables, its records as rows.</summary>
internal sealed class OrgSoqlSource : ISoqlOrg
{
    private readonly SalesforceOrg _org;
    private readonly ConcurrentDictionary<SObjectSchema, Table> _tables = new();

    public OrgSoqlSource(SalesforceOrg org) => _org = org;

    public DateTimeOffset Now => _org.Now();

    public ISoqlTable? FindTable(string name) => _org.TryGetSchema(name, out var schema) ? TableOf(schema) : null;

    public ISoqlRow? FindRow(string id) => _org.Find(id) is { } record ? new Row(TableOf(record.Schema), record) : null;

    private Table TableOf(SObjectSchema schema) => _tables.GetOrAdd(schema, s => new Table(this, s));

    private sealed class Table : ISoqlTable
    {
        private readonly OrgSoqlSource _source;
        private readonly ConcurrentDictionary<FieldSchema, Column> _columns = new();

        public Table(OrgSoqlSource source, SObjectSchema schema)
        {
            _source = source;
            Schema = schema;
        }

        public SObjectSchema Schema { get; }

        public string Name => Schema.Name;

        public ISoqlColumn? FindField(string name) => Schema.TryGetField(name, out var field) ? ColumnOf(field) : null;

        public ISoqlColumn? FindRelationship(string relationshipName) =>
            Schema.TryGetRelationship(relationshipName, out var field) ? ColumnOf(field) : null;

        public IEnumerable<ISoqlRow> Rows(bool includeDeleted) =>
            _source._org.Records(Schema.Name, includeDeleted).Select(r => (ISoqlRow)new Row(this, r));

        private Column ColumnOf(FieldSchema field) => _columns.GetOrAdd(field, f => new Column(f));
    }

    private sealed class Column : ISoqlColumn
    {
        public Column(FieldSchema field)
        {
            Field = field;
            Kind = field.Type switch
            {
                FieldType.Id or FieldType.Reference => SoqlValueKind.Id,
                FieldType.Boolean => SoqlValueKind.Boolean,
                FieldType.Int or FieldType.Double or FieldType.Currency or FieldType.Percent => SoqlValueKind.Number,
                FieldType.Date => SoqlValueKind.Date,
                FieldType.DateTime => SoqlValueKind.DateTime,
                FieldType.Time => SoqlValueKind.Time,
                _ => SoqlValueKind.Text,
            };
        }

        public FieldSchema Field { get; }

        public string Name => Field.Name;

        public SoqlValueKind Kind { get; }

        public string? RelationshipName => Field.RelationshipName;

        public IReadOnlyList<string> ReferenceTo => Field.ReferenceTo;
    }

    private sealed class Row : ISoqlRow
    {
        private readonly Table _table;
        private readonly SObjectRecord _record;

        public Row(Table table, SObjectRecord record)
        {
            _table = table;
            _record = record;
        }

        public ISoqlTable Table => _table;

        public string Id => _record.Id;

        public object? Get(ISoqlColumn column)
        {
            var field = ((Column)column).Field;
            var value = _record.Values.GetValueOrDefault(field.Name);

            // A boolean is never null in Salesforce: unset reads as false.
            return value is null && field.Type == FieldType.Boolean ? false : value;
        }
    }
}
