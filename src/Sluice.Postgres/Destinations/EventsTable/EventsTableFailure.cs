using System.Net.Sockets;
using Npgsql;

namespace Sluice.Postgres.Destinations;

/// <summary>What a failed INSERT means for its records: the destination's one place for classifying driver errors (P4).</summary>
internal enum EventsTableFailureKind
{
    /// <summary>Worth retrying the batch with backoff: a dropped connection, a deadlock, a server restarting.</summary>
    Transient,

    /// <summary>Every record sent to the table is refused until someone acts (auth, missing table, no privilege): dead letters, replayable once fixed.</summary>
    Table,

    /// <summary>One row's data was refused (bad input, a check constraint): find it, refuse it alone.</summary>
    Row,

    /// <summary>Neither: the run stops (its checkpoint stays) and the message says why.</summary>
    Fatal,
}

internal static class EventsTableFailure
{
    public static EventsTableFailureKind Classify(Exception error) => error switch
    {
        PostgresException pg => Classify(pg.SqlState),
        NpgsqlException { IsTransient: true } => EventsTableFailureKind.Transient,
        NpgsqlException { InnerException: IOException or SocketException or TimeoutException } => EventsTableFailureKind.Transient,
        IOException or SocketException or TimeoutException => EventsTableFailureKind.Transient,
        _ => EventsTableFailureKind.Fatal,
    };

    /// <summary>By SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html).</summary>
    public static EventsTableFailureKind Classify(string sqlState) => sqlState switch
    {
        // invalid_authorization_specification, invalid_password, insufficient_privilege, undefined_table,
        // invalid_catalog_name (database), invalid_schema_name, undefined_column, datatype_mismatch,
        // read-only transaction (a replica), an ON CONFLICT without a matching unique index
        "28000" or "28P01" or "42501" or "42P01" or "3D000" or "3F000" or "42703" or "42804" or "25006" or "42P10" => EventsTableFailureKind.Table,
        // serialization_failure, deadlock_detected, lock_not_available, query_canceled (statement/lock timeout),
        // admin/crash shutdown, cannot_connect_now, too_many_connections, out of memory/disk, connection exceptions
        "40001" or "40P01" or "55P03" or "57014" or "57P01" or "57P02" or "57P03" or "53000" or "53100" or "53200" or "53300" or "58000" or "58030" => EventsTableFailureKind.Transient,
        _ when sqlState.StartsWith("08", StringComparison.Ordinal) => EventsTableFailureKind.Transient,
        // data_exception (22…: bad input, a NUL in jsonb text), integrity_constraint_violation (23…: a check, a
        // NOT NULL, another unique index): about the row, not the table
        _ when sqlState.StartsWith("22", StringComparison.Ordinal) || sqlState.StartsWith("23", StringComparison.Ordinal) => EventsTableFailureKind.Row,
        _ => EventsTableFailureKind.Fatal,
    };
}
