using Npgsql;

namespace Sluice.Postgres;

/// <summary>
/// Which database and role a connection string reaches, as <c>host:port/database as user</c>: two connections with the
/// same identity can share a transaction's effects (the state store runs a write-back in its commit when the source's
/// identity is its own). Hosts are compared as written: <c>localhost</c> and <c>127.0.0.1</c> differ, which only costs
/// the shared transaction, never correctness.
/// </summary>
public static class DatabaseIdentity
{
    public static string Of(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username} as {builder.Username}";
    }
}
