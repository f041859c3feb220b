using Sluice.Emulators.Salesforce.Soql;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>
/// A small org for the SOQL unit tests: Users, Accounts owned by them, Contacts under Accounts. Values are kept
/// as the evaluator receives them from the real org.
/// </summary>
internal sealed class SoqlQueryTestOrg : ISoqlOrg
{
    private readonly Dictionary<string, Table> _tables = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Row> _rows = new(StringComparer.OrdinalIgnoreCase);

    public SoqlQueryTestOrg()
    {
        Add(new Table("User",
            new Column("Id", SoqlValueKind.Id),
            new Column("Email", SoqlValueKind.Text),
            new Column("IsDeleted", SoqlValueKind.Boolean)));
        Add(new Table("Account",
            new Column("Id", SoqlValueKind.Id),
            new Column("Name", SoqlValueKind.Text),
            new Column("External_Id__c", SoqlValueKind.Text),
            new Column("NumberOfEmployees", SoqlValueKind.Number),
            new Column("AnnualRevenue", SoqlValueKind.Number),
            new Column("IsActive__c", SoqlValueKind.Boolean),
            new Column("Renewal__c", SoqlValueKind.Date),
            new Column("CreatedDate", SoqlValueKind.DateTime),
            new Column("OwnerId", SoqlValueKind.Id, "Owner", "User"),
            new Column("IsDeleted", SoqlValueKind.Boolean)));
        Add(new Table("Contact",
            new Column("Id", SoqlValueKind.Id),
            new Column("LastName", SoqlValueKind.Text),
            new Column("Email", SoqlValueKind.Text),
            new Column("AccountId", SoqlValueKind.Id, "Account", "Account"),
            new Column("IsDeleted", SoqlValueKind.Boolean)));
    }

    public DateTimeOffset Now { get; set; } = new(2026, 3, 18, 15, 30, 0, TimeSpan.Zero);

    public ISoqlTable? FindTable(string name) => _tables.GetValueOrDefault(name);

    public ISoqlRow? FindRow(string id) => _rows.GetValueOrDefault(id);

    public Row Insert(string table, string id, params (string Field, object? Value)[] values)
    {
        var owner = _tables[table];
        var row = new Row(owner, id);
        row.Values["Id"] = id;
        row.Values["IsDeleted"] = false;
        foreach (var (field, value) in values)
        {
            row.Values[field] = value;
        }

        owner.Rows.Add(row);
        _rows[id] = row;
        return row;
    }

    private void Add(Table table) => _tables[table.Name] = table;

    internal sealed class Table(string name, params Column[] columns) : ISoqlTable
    {
        private readonly Dictionary<string, Column> _byName = columns.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

        public string Name => name;

        public List<Row> Rows { get; } = [];

        public ISoqlColumn? FindField(string fieldName) => _byName.GetValueOrDefault(fieldName);

        public ISoqlColumn? FindRelationship(string relationshipName) =>
            columns.FirstOrDefault(c => string.Equals(c.RelationshipName, relationshipName, StringComparison.OrdinalIgnoreCase));

        IEnumerable<ISoqlRow> ISoqlTable.Rows(bool includeDeleted) =>
            Rows.Where(r => includeDeleted || r.Values["IsDeleted"] is false);
    }

    internal sealed class Column(string name, SoqlValueKind kind, string? relationshipName = null, string? referenceTo = null) : ISoqlColumn
    {
        public string Name => name;

        public SoqlValueKind Kind => kind;

        public string? RelationshipName => relationshipName;

        public IReadOnlyList<string> ReferenceTo => referenceTo is null ? [] : [referenceTo];
    }

    internal sealed class Row(Table table, string id) : ISoqlRow
    {
        public Dictionary<string, object?> Values { get; } = new(StringComparer.OrdinalIgnoreCase);

        public ISoqlTable Table => table;

        public string Id => id;

        public object? Get(ISoqlColumn column) => Values.GetValueOrDefault(column.Name);
    }
}
