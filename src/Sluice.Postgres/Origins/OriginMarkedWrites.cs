using Npgsql;

namespace Sluice.Postgres.Origins;

/// <summary>
/// Connections for one sync's writes, each marked with the sync's replication origin
/// (<c>pg_replication_origin_session_setup</c>): PostgreSQL records the origin with every transaction they commit, and
/// logical decoding hands it on, so a CDC source following the table reads those changes as Sluice's own.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>One physical connection (a pool of one), marked when it opens and for as long as it lives: PostgreSQL lets one
/// session at a time use an origin, and a session's origin outlives its transactions (a pooled connection reset with
/// <c>DISCARD ALL</c> keeps it), so a marked connection never serves anyone else's writes. The sync writes one batch at
/// a time, so one connection is all it uses.</item>
/// <item>Where the role may not use replication origins (they need a superuser or <c>GRANT EXECUTE</c> on the functions,
/// which <c>sluice grants --for records</c> prints), or the server has no free origin slot, the connection stays
/// unmarked and the writes go on: an echo is recognised by its values as well (<see cref="Refused"/> says why).</item>
/// </list>
/// </remarks>
internal sealed class OriginMarkedWrites : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    public OriginMarkedWrites(PostgresConnectionOptions connection, string origin, TimeProvider time)
    {
        Origin = origin;
        _dataSource = connection.CreateDataSource(time, builder =>
        {
            builder.ConnectionStringBuilder.MaxPoolSize = 1;
            builder.UsePhysicalConnectionInitializer(c => MarkAsync(c, CancellationToken.None).GetAwaiter().GetResult(), c => MarkAsync(c, CancellationToken.None));
        });
    }

    /// <summary>The replication origin the writes carry.</summary>
    public string Origin { get; }

    /// <summary>Why the last connection opened could not be marked (its writes went unmarked); null while they are.</summary>
    public string? Refused { get; private set; }

    public ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken ct) => _dataSource.OpenConnectionAsync(ct);

    public NpgsqlCommand CreateCommand(string sql) => _dataSource.CreateCommand(sql);

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task MarkAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        try
        {
            // Created once per database and kept: an origin is a catalog row (and the progress PostgreSQL keeps for it).
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("SELECT pg_replication_origin_create($1) WHERE pg_replication_origin_oid($1) IS NULL") { Parameters = { new() { Value = Origin } } },
                    new NpgsqlBatchCommand("SELECT pg_replication_origin_session_setup($1)") { Parameters = { new() { Value = Origin } } },
                },
            };
            await batch.ExecuteNonQueryAsync(ct);
            Refused = null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Another process created it between the check and the insert: it exists now.
            try
            {
                await using var setup = new NpgsqlCommand("SELECT pg_replication_origin_session_setup($1)", connection) { Parameters = { new() { Value = Origin } } };
                await setup.ExecuteNonQueryAsync(ct);
                Refused = null;
            }
            catch (PostgresException again)
            {
                Refused = again.MessageText;
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            Refused = $"the role may not use replication origins ({e.MessageText}); 'sluice grants --for records' prints the GRANT that allows it";
        }
        catch (PostgresException e)
        {
            // In use by another session (a process of this sync that has just died, until PostgreSQL notices), no free
            // origin slot (max_replication_slots), replication origins off, a name the server refuses: unmarked, and
            // said why. Marking is never what makes the writes right, so it never stops them.
            Refused = e.MessageText;
        }
    }
}
