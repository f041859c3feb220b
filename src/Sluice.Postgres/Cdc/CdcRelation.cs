using Npgsql.Replication.PgOutput.Messages;
using Sluice.Core.Errors;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// How the rows of one relation of the stream become changes: which tuple column feeds which requested column, the
/// key and the watched columns, and how each column's text is read. Built from a <c>Relation</c> message, which
/// PostgreSQL sends before a relation's first row in a session and again after its columns change.
/// </summary>
internal sealed class CdcRelation
{
    private CdcRelation(CdcTable? table, string[] names, CdcValueType[] types, int[] requested, int[] key, (string Column, int Index)[] watched, bool[] needed)
    {
        Table = table;
        Names = names;
        Types = types;
        Requested = requested;
        Key = key;
        Watched = watched;
        Needed = needed;
    }

    /// <summary>The followed table; null for a relation the publication has but the sync does not follow.</summary>
    public CdcTable? Table { get; }

    public string[] Names { get; }

    public CdcValueType[] Types { get; }

    /// <summary>For each requested column, its index in the tuple.</summary>
    public int[] Requested { get; }

    /// <summary>The key columns' indexes in the tuple, in key order.</summary>
    public int[] Key { get; }

    public (string Column, int Index)[] Watched { get; }

    /// <summary>Which tuple columns are read at all (the rest are skipped unread).</summary>
    public bool[] Needed { get; }

    public static CdcRelation Ignored { get; } = new(null, [], [], [], [], [], []);

    public static CdcRelation Build(RelationMessage message, CdcTable table, IReadOnlyList<string> columns, IReadOnlyList<string> watched, IReadOnlyDictionary<uint, CdcValueType> types)
    {
        var names = new string[message.Columns.Count];
        var valueTypes = new CdcValueType[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            var column = message.Columns[i];
            names[i] = column.ColumnName;
            // A column a table source reads as text (an enum, a type the driver has no mapping for) is text here too.
            valueTypes[i] = table.ReadAsText.Contains(column.ColumnName) ? CdcValueType.Text : types.GetValueOrDefault(column.DataTypeId, CdcValueType.Text);
        }

        var needed = new bool[names.Length];
        int IndexOf(string column)
        {
            var index = Array.IndexOf(names, column);
            if (index < 0)
            {
                throw SluiceException.Fatal($"cdc of {table}: column '{column}' is no longer in the table (dropped or renamed while streaming); " +
                    "fix the mapping, then run `sluice sync --full` if rows changed meanwhile");
            }

            needed[index] = true;
            return index;
        }

        var requested = columns.Select(IndexOf).ToArray();
        var key = table.Key.Select(IndexOf).ToArray();
        var watchedIndexes = watched.Select(c => (c, IndexOf(c))).ToArray();
        return new CdcRelation(table, names, valueTypes, requested, key, watchedIndexes, needed);
    }
}
