using System.Text;
using Sluice.Postgres.Cdc;

namespace Sluice.Postgres.Security;

/// <summary>
/// The least privileges Sluice needs (W3, P6), as the commented SQL a DBA runs: <c>sluice grants</c> prints
/// it, and Sluice works with exactly these grants. Every name is quoted.
/// </summary>
internal static class GrantsSql
{
    public static string Warehouse(string role, string database)
    {
        var sql = new StringBuilder();
        Comment(sql, $"Sluice writes Segment-style warehouse tables into database {database} as role {role}.");
        Comment(sql, "It creates one schema per source itself (and owns what it creates), so it needs CREATE on the");
        Comment(sql, "database; TEMPORARY for the staging tables it loads through.");
        sql.Append($"GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {Q(database)} TO {Q(role)};\n");
        return sql.ToString();
    }

    public static string Events(string role, string database, IReadOnlyList<EventsTableGrant> tables)
    {
        var sql = new StringBuilder();
        Comment(sql, $"Sluice inserts events into tables of database {database} as role {role}; it reads and changes nothing else.");
        Connect(sql, database, role);
        foreach (var schema in tables.Select(t => t.Schema).Distinct(StringComparer.Ordinal))
        {
            sql.Append($"GRANT USAGE ON SCHEMA {Q(schema)} TO {Q(role)};\n");
        }

        foreach (var table in tables)
        {
            sql.Append('\n');
            if (table.TablePerEventType)
            {
                Comment(sql, $"sync {table.Sync}: one table per event type ({table.Table}_<type>), created by Sluice as new types arrive;");
                Comment(sql, "it owns the tables it creates, so CREATE on the schema is all it needs.");
                sql.Append($"GRANT CREATE ON SCHEMA {Q(table.Schema)} TO {Q(role)};\n");
            }
            else
            {
                Comment(sql, $"sync {table.Sync}:");
                sql.Append($"GRANT INSERT ON {Q(table.Schema)}.{Q(table.Table)} TO {Q(role)};\n");
            }
        }

        return sql.ToString();
    }

    public static string Records(string role, string database, IReadOnlyList<RecordsTableGrant> tables)
    {
        var sql = new StringBuilder();
        Comment(sql, $"Sluice exports records into tables of database {database} as role {role}: it writes rows by key as each");
        Comment(sql, "sync's mode needs (sync: insert, update, delete; soft deletes, additive: insert, update; enrich: update;");
        Comment(sql, "append: insert), reading them to compare, and stages each batch in a temporary table.");
        Connect(sql, database, role);
        sql.Append($"GRANT TEMPORARY ON DATABASE {Q(database)} TO {Q(role)};\n");
        var schemas = tables.Select(t => t.Schema).Concat(tables.Where(t => t.GroupsSchema is not null).Select(t => t.GroupsSchema!));
        foreach (var schema in schemas.Distinct(StringComparer.Ordinal))
        {
            sql.Append($"GRANT USAGE ON SCHEMA {Q(schema)} TO {Q(role)};\n");
        }

        foreach (var table in tables)
        {
            sql.Append('\n');
            Comment(sql, $"sync {table.Sync}:");
            sql.Append($"GRANT {string.Join(", ", table.Privileges)} ON {Q(table.Schema)}.{Q(table.Table)} TO {Q(role)};\n");
            if (table.GroupsTable is not null)
            {
                // Memberships are inserted and deleted by difference, never updated.
                sql.Append($"GRANT {string.Join(", ", Destinations.Records.RecordsPrivileges.OnGroupsTable)} ON {Q(table.GroupsSchema!)}.{Q(table.GroupsTable)} TO {Q(role)};\n");
            }
        }

        OriginGrant(sql, role, tables.Where(t => t.MarksOrigin).Select(t => t.Sync));
        return sql.ToString();
    }

    public static string Source(string role, string database, IReadOnlyList<SourceReadGrant> reads)
    {
        var sql = new StringBuilder();
        Comment(sql, reads.Any(r => r.WriteBack is not null)
            ? $"Sluice reads these tables of database {database} as role {role}; it writes only the write-back columns named below."
            : $"Sluice reads these tables of database {database} as role {role}; it writes nothing here.");
        Connect(sql, database, role);
        foreach (var schema in reads.Where(r => r.Schema is not null).Select(r => r.Schema!).Distinct(StringComparer.Ordinal))
        {
            sql.Append($"GRANT USAGE ON SCHEMA {Q(schema)} TO {Q(role)};\n");
        }

        foreach (var read in reads)
        {
            sql.Append('\n');
            if (read.WriteBack is { } writeBack)
            {
                var into = $"{Q(writeBack.Schema)}.{Q(writeBack.Table)}";
                Comment(sql, $"sync {read.Sync} writes the destination's ids back to {writeBack.Table}.{writeBack.Column} (write_back:); the UPDATE reads the key and the column:");
                sql.Append($"GRANT USAGE ON SCHEMA {Q(writeBack.Schema)} TO {Q(role)};\n");
                sql.Append(writeBack.Key is { } key
                    ? $"GRANT SELECT ({Q(key)}, {Q(writeBack.Column)}), UPDATE ({Q(writeBack.Column)}) ON {into} TO {Q(role)};\n"
                    : $"GRANT SELECT, UPDATE ({Q(writeBack.Column)}) ON {into} TO {Q(role)};\n");
            }

            if (read.Table is null)
            {
                Comment(sql, $"sync {read.Sync} reads a query: grant SELECT on every table it reads, e.g.");
                Comment(sql, $"GRANT SELECT ON \"schema\".\"table\" TO {Q(role)};");
                continue;
            }

            var table = $"{Q(read.Schema!)}.{Q(read.Table)}";
            Comment(sql, $"sync {read.Sync}:");
            sql.Append($"GRANT SELECT ON {table} TO {Q(role)};\n");
            if (read.Cdc)
            {
                var publication = CdcNames.PublicationFor(read.Sync);
                Comment(sql, "Change data capture streams the table by logical replication (wal_level = logical on the server).");
                sql.Append($"ALTER ROLE {Q(role)} WITH REPLICATION;\n");
                Comment(sql, "Creating a publication takes ownership of the table; if the role does not own it, create the");
                Comment(sql, "publication as the owner, once:");
                sql.Append($"CREATE PUBLICATION {Q(publication)} FOR TABLE {table};\n");
            }
        }

        OriginGrant(sql, role, reads.Where(r => r.MarksOrigin).Select(r => r.Sync));
        return sql.ToString();
    }

    public static string State(string role, string database, string schema)
    {
        var sql = new StringBuilder();
        Comment(sql, $"Sluice keeps its state (checkpoints, send ledger, run history, dead letters) in schema {schema}");
        Comment(sql, $"of database {database}, as role {role}. It creates the schema on its first run and migrates it on upgrades,");
        Comment(sql, "so it needs CREATE on the database; it owns the schema and every table in it.");
        sql.Append($"GRANT CONNECT, CREATE ON DATABASE {Q(database)} TO {Q(role)};\n");
        return sql.ToString();
    }

    /// <summary>
    /// For the directions of two-way pairs among <paramref name="syncs"/>: the replication-origin functions that mark
    /// their writes (superuser-only until granted). Optional: without them the writes go unmarked, and an echo is still
    /// recognised by its values.
    /// </summary>
    private static void OriginGrant(StringBuilder sql, string role, IEnumerable<string> syncs)
    {
        var marking = syncs.Distinct(StringComparer.Ordinal).ToList();
        if (marking.Count == 0)
        {
            return;
        }

        sql.Append('\n');
        Comment(sql, $"two-way ({string.Join(", ", marking)}): a sync of a pair marks its writes with a replication origin (sluice_<sync>),");
        Comment(sql, "so change data capture on these tables reads them as Sluice's own. Optional: without it they go unmarked");
        Comment(sql, "and an echo is recognised by its values alone.");
        sql.Append($"GRANT EXECUTE ON FUNCTION pg_replication_origin_oid(text), pg_replication_origin_create(text), pg_replication_origin_session_setup(text) TO {Q(role)};\n");
    }

    private static void Connect(StringBuilder sql, string database, string role)
    {
        Comment(sql, "CONNECT is granted to PUBLIC by default; this line matters only where a DBA revoked that.");
        sql.Append($"GRANT CONNECT ON DATABASE {Q(database)} TO {Q(role)};\n");
    }

    // Names come from the config and the command line; one per line, so a newline cannot end a comment early.
    private static void Comment(StringBuilder sql, string text) => sql.Append("-- ").Append(text.ReplaceLineEndings(" ")).Append('\n');

    private static string Q(string name) => SqlNames.Quote(name);
}
