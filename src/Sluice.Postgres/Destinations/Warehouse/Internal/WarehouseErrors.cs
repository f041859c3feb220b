using Npgsql;
using Sluice.Core.Errors;

namespace Sluice.Postgres.Destinations.Warehouse.Internal;

/// <summary>
/// Translates the loader's failures. Permission errors become fatal with the exact statement a DBA runs; lock and
/// statement timeouts become transient (the batch is retried); everything else goes through
/// <see cref="PostgresErrors"/>.
/// </summary>
internal sealed class WarehouseErrors(PostgresConnectionOptions connection, string schema)
{
    private readonly string _what = connection.Describe();

    /// <summary>SQLSTATEs that one row causes, so the batch is retried one event at a time and only the events that
    /// cause them are rejected: data exceptions (class 22, e.g. a value a user-changed column cannot take), integrity
    /// violations (class 23: a user's unique index, check or exclusion constraint), an index row too big for a user's
    /// btree index (54000), and an exception raised by a user's trigger (P0001).</summary>
    public static bool IsCausedByARow(PostgresException e) =>
        e.SqlState.StartsWith("22", StringComparison.Ordinal)
        || e.SqlState.StartsWith("23", StringComparison.Ordinal)
        || e.SqlState is "54000" or "P0001";

    /// <summary>The schema changed under the loader (a user dropped a table or column, or changed a column's type):
    /// read it again and retry.</summary>
    public static bool IsStaleCatalog(PostgresException e) => e.SqlState is "42P01" or "42703" or "42804";

    /// <summary>Why one event was refused, for the dead-letter queue.</summary>
    public static string RowReason(PostgresException e, string table) => e.SqlState switch
    {
        "23505" => $"{table}: a unique index or constraint ({e.ConstraintName}) refuses the row: {e.MessageText}",
        _ when e.ConstraintName is { } constraint => $"{table}: the constraint {constraint} refuses the row: {e.MessageText} (SQLSTATE {e.SqlState})",
        _ => $"{table}: PostgreSQL refuses the row: {e.MessageText} (SQLSTATE {e.SqlState})",
    };

    public SluiceException Translate(Exception error, WarehouseStep step, string? table = null)
    {
        if (error is not PostgresException pg)
        {
            return PostgresErrors.Translate(error, _what);
        }

        var where = table is null ? Name(schema) : $"{Name(schema)}.{Name(table)}";
        return pg.SqlState switch
        {
            "42501" => SluiceException.Fatal($"{_what}: permission denied ({pg.MessageText}) while {Doing(step, where)}; fix: {Grant(step, table)}", pg),
            "55P03" => SluiceException.Transient(
                $"{_what}: gave up waiting for a lock on {where} while {Doing(step, where)}: another session (a long query, an open transaction, a CREATE INDEX) holds it; will retry", pg),
            "57014" => SluiceException.Transient($"{_what}: {pg.MessageText} while {Doing(step, where)}; will retry", pg),
            "54011" => SluiceException.Fatal(
                $"{_what}: {where} would have more than PostgreSQL's 1,600 columns ({pg.MessageText}); fix: lower the destination's max_columns, or recreate the table without the columns you do not need (dropped columns count toward the limit until the table is recreated)", pg),
            "42P10" => SluiceException.Fatal(
                $"{_what}: {where} has no primary key on id, which the loader needs to skip events it already has; fix: ALTER TABLE {where} ADD PRIMARY KEY (\"id\");", pg),
            _ => PostgresErrors.Translate(pg, _what),
        };
    }

    /// <summary>The statement that gives the connection's user what <paramref name="step"/> needs.</summary>
    public string Grant(WarehouseStep step, string? table)
    {
        var user = Name(connection.User);
        var schemaName = Name(schema);
        return step switch
        {
            WarehouseStep.CreateSchema =>
                $"GRANT CREATE, TEMPORARY ON DATABASE {Name(connection.Database)} TO {user}; (or create the schema for it: CREATE SCHEMA {schemaName} AUTHORIZATION {user};)",
            WarehouseStep.CreateTable or WarehouseStep.ReadCatalog or WarehouseStep.LockSchema =>
                $"GRANT USAGE, CREATE ON SCHEMA {schemaName} TO {user};",
            WarehouseStep.AlterTable =>
                $"ALTER TABLE {schemaName}.{Name(table ?? "?")} OWNER TO {user}; (adding a column needs the table's owner)",
            _ => $"GRANT USAGE ON SCHEMA {schemaName} TO {user}; GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {schemaName} TO {user};",
        };
    }

    private static string Doing(WarehouseStep step, string where) => step switch
    {
        WarehouseStep.ReadCatalog => $"reading the tables of {where}",
        WarehouseStep.LockSchema => $"waiting to change {where} (another process is changing it)",
        WarehouseStep.CreateSchema => $"creating the schema {where}",
        WarehouseStep.CreateTable => $"creating the table {where}",
        WarehouseStep.AlterTable => $"adding columns to {where}",
        _ => $"loading into {where}",
    };

    private static string Name(string identifier) => SqlNames.Quote(identifier);
}
