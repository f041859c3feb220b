using System.Text;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// The set-based statements of one batch, for one staging layout. Names are quoted; values only ever travel in the
/// staging tables (binary COPY), never in the SQL text, which depends on the table and the layout only — so the data
/// source's auto-prepare prepares each statement once per connection.
/// </summary>
internal sealed class RecordsSql
{
    public const string Stage = "sluice_records_stage";
    public const string GroupStage = "sluice_records_groups";
    private const string KeyText = "_sluice_key";
    private const string DeleteFlag = "_sluice_delete";

    public RecordsSql(RecordsDestinationOptions options, RecordsLayout layout, IReadOnlyDictionary<string, string> targetTypes, IReadOnlyDictionary<string, string>? groupTypes)
    {
        var table = options.QualifiedTable;
        var key = Q(options.Key);
        var keyType = targetTypes[options.Key];
        var stagedKey = $"s.{KeyText}::{keyType}";
        var columns = layout.Columns.Select(c => c.Column).ToList();
        var cast = columns.Select(c => $"s.{Q(c)}::{targetTypes[c]}").ToList();
        var others = columns.Where(c => !options.KeyColumns.Contains(c)).ToList();
        // Which table row a staged row is: by its key text (one column; a delete stages no values) or, for a composite
        // key, by every key column (a delete's come from its key).
        var match = options.IsComposite
            ? string.Join(" AND ", options.KeyColumns.Select(k => $"t.{Q(k)} = s.{Q(k)}::{targetTypes[k]}"))
            : $"t.{key} = {stagedKey}";
        var conflict = options.IsComposite ? string.Join(", ", options.KeyColumns.Select(Q)) : key;

        CreateStage = $"CREATE TEMP TABLE {Stage} ({KeyText} text NOT NULL, {DeleteFlag} boolean NOT NULL" +
            string.Concat(layout.Columns.Select(c => $", {Q(c.Column)} {c.Type.Name}")) + ") ON COMMIT DROP";
        CopyStage = $"COPY {Stage} ({KeyText}, {DeleteFlag}{string.Concat(columns.Select(c => ", " + Q(c)))}) FROM STDIN (FORMAT BINARY)";

        var set = string.Join(", ", others.Select(c => $"{Q(c)} = excluded.{Q(c)}"));
        var changed = others.Count == 0 ? "" :
            $" WHERE ({string.Join(", ", others.Select(c => $"t.{Q(c)}"))}) IS DISTINCT FROM ({string.Join(", ", others.Select(c => $"excluded.{Q(c)}"))})";
        var insert = $"INSERT INTO {table} AS t ({string.Join(", ", columns.Select(Q))}) SELECT {string.Join(", ", cast)} FROM {Stage} s WHERE NOT s.{DeleteFlag} ";
        if (options.Mode == RecordsMode.Append)
        {
            // An audit table keeps each version once: a version already there (a replay) is skipped, never updated.
            Upsert = insert + $"ON CONFLICT ({string.Join(", ", options.KeyColumns.Select(Q))}) DO NOTHING";
        }
        else if (options.SoftDelete)
        {
            // A record that comes back (undeleted) is live again: its deleted_at is cleared even when no value changed.
            var deletedAt = Q(options.DeletedAt);
            Upsert = insert + (others.Count == 0
                ? $"ON CONFLICT ({conflict}) DO UPDATE SET {deletedAt} = NULL WHERE t.{deletedAt} IS NOT NULL"
                : $"ON CONFLICT ({conflict}) DO UPDATE SET {set}, {deletedAt} = NULL{changed} OR t.{deletedAt} IS NOT NULL");
        }
        else
        {
            Upsert = insert + (others.Count == 0 ? $"ON CONFLICT ({conflict}) DO NOTHING" : $"ON CONFLICT ({conflict}) DO UPDATE SET {set}{changed}");
        }

        var othersCast = others.Select(c => $"s.{Q(c)}::{targetTypes[c]}").ToList();
        Update = others.Count == 0 ? null :
            $"UPDATE {table} AS t SET {string.Join(", ", others.Select((c, i) => $"{Q(c)} = {othersCast[i]}"))} FROM {Stage} s " +
            $"WHERE NOT s.{DeleteFlag} AND {match} AND ({string.Join(", ", others.Select(c => $"t.{Q(c)}"))}) IS DISTINCT FROM ({string.Join(", ", othersCast)})";
        Existing = $"SELECT s.{KeyText} FROM {Stage} s WHERE NOT s.{DeleteFlag} AND EXISTS (SELECT 1 FROM {table} t WHERE {match})";
        Delete = options.SoftDelete
            // The first deletion's time stays: a replayed delete changes nothing.
            ? $"UPDATE {table} AS t SET {Q(options.DeletedAt)} = now() FROM {Stage} s WHERE s.{DeleteFlag} AND {match} AND t.{Q(options.DeletedAt)} IS NULL"
            : $"DELETE FROM {table} AS t USING {Stage} s WHERE s.{DeleteFlag} AND {match}";

        if (options.Groups is { } groups && groupTypes is not null)
        {
            var groupTable = groups.QualifiedTable;
            var (fk, name) = (Q(groups.ForeignKey), Q(groups.NameColumn));
            var (fkType, nameType) = (groupTypes[groups.ForeignKey], groupTypes[groups.NameColumn]);
            CreateGroupStage = $"CREATE TEMP TABLE {GroupStage} (k text NOT NULL, g text NOT NULL) ON COMMIT DROP";
            CopyGroupStage = $"COPY {GroupStage} (k, g) FROM STDIN (FORMAT BINARY)";
            // Only the batch's keys are touched: memberships of records the batch does not carry stay as they are. In
            // enrich mode, only keys with a row (the others were left out).
            var scope = options.Mode == RecordsMode.Enrich
                ? $"SELECT DISTINCT s.{KeyText} AS k FROM {Stage} s WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.{key} = {stagedKey})"
                : $"SELECT DISTINCT s.{KeyText} AS k FROM {Stage} s";
            RemoveMemberships = $"DELETE FROM {groupTable} AS m USING ({scope}) b WHERE m.{fk} = b.k::{fkType} " +
                $"AND NOT EXISTS (SELECT 1 FROM {GroupStage} x WHERE x.k = b.k AND x.g::{nameType} = m.{name})";
            AddMemberships = $"INSERT INTO {groupTable} ({fk}, {name}) SELECT DISTINCT x.k::{fkType}, x.g::{nameType} FROM {GroupStage} x " +
                $"WHERE NOT EXISTS (SELECT 1 FROM {groupTable} m WHERE m.{fk} = x.k::{fkType} AND m.{name} = x.g::{nameType})";
        }
    }

    public string CreateStage { get; }

    public string CopyStage { get; }

    /// <summary>
    /// Sync and additive: insert new rows, update changed ones (a row whose values are all the same is not written).
    /// Append: insert versions not there yet.
    /// </summary>
    public string Upsert { get; }

    /// <summary>Enrich: update the changed rows that exist; null when only the key is mapped (nothing to update).</summary>
    public string? Update { get; }

    /// <summary>Enrich: the staged keys that have a row.</summary>
    public string Existing { get; }

    /// <summary>Sync: delete the rows of deleted records (soft: set their <c>deleted_at</c>).</summary>
    public string Delete { get; }

    public string? CreateGroupStage { get; }

    public string? CopyGroupStage { get; }

    public string? RemoveMemberships { get; }

    public string? AddMemberships { get; }

    private static string Q(string name) => SqlNames.Quote(name);

    /// <summary>A <c>CREATE TABLE</c> for the records table, typed from the mapping's source columns.</summary>
    public static string CreateTable(RecordsDestinationOptions options, IReadOnlyList<(string Column, string Type)> columns)
    {
        var sql = new StringBuilder($"CREATE TABLE {options.QualifiedTable} (");
        var composite = options.KeyColumns.Count > 1;
        sql.AppendJoin(", ", columns.Select(c => $"{Q(c.Column)} {c.Type}{(composite ? (options.KeyColumns.Contains(c.Column) ? " NOT NULL" : "") : c.Column == options.Key ? " PRIMARY KEY" : "")}"));
        if (options.SoftDelete)
        {
            sql.Append($", {Q(options.DeletedAt)} timestamptz");
        }

        if (composite)
        {
            sql.Append($", PRIMARY KEY ({string.Join(", ", options.KeyColumns.Select(Q))})");
        }

        return sql.Append(");").ToString();
    }

    /// <summary>A <c>CREATE TABLE</c> for the groups table: one row per record and group, removed with its record.</summary>
    public static string CreateGroupsTable(RecordsDestinationOptions options, RecordsGroupsOptions groups, string keyType) =>
        $"CREATE TABLE {groups.QualifiedTable} ({Q(groups.ForeignKey)} {keyType} NOT NULL REFERENCES {options.QualifiedTable} ({Q(options.Key)}) ON DELETE CASCADE, " +
        $"{Q(groups.NameColumn)} text NOT NULL, PRIMARY KEY ({Q(groups.ForeignKey)}, {Q(groups.NameColumn)}));";
}
