using Npgsql;
using Sluice.Core.Configuration;

namespace Sluice.Postgres;

/// <summary>A <c>type: postgres</c> connection (G1): where the database is and how to log in.</summary>
public sealed class PostgresConnectionOptions
{
    public required string Name { get; init; }

    /// <summary>Default <c>localhost</c>.</summary>
    public string Host { get; init; } = "localhost";

    /// <summary>Default 5432.</summary>
    public int Port { get; init; } = 5432;

    public required string Database { get; init; }

    /// <summary>Default <c>postgres</c>.</summary>
    public string User { get; init; } = "postgres";

    public Secret? Password { get; init; }

    /// <summary>Schema for unqualified table names. Default <c>public</c>.</summary>
    public string Schema { get; init; } = "public";

    /// <summary>Default <c>prefer</c>.</summary>
    public SslMode SslMode { get; init; } = SslMode.Prefer;

    public string? SslRootCertificate { get; init; }

    public string? SslCertificate { get; init; }

    public string? SslKey { get; init; }

    /// <summary>How a user would name this connection in a message.</summary>
    public string Describe() => $"connection '{Name}' ({Host}:{Port}/{Database})";

    public static PostgresConnectionOptions Bind(ConnectionConfig config)
    {
        var s = config.Settings;
        var options = new PostgresConnectionOptions
        {
            Name = config.Name,
            Host = s.GetString("host") ?? "localhost",
            Port = s.GetInt("port", 1, 65535) ?? 5432,
            Database = s.RequireString("database", "name the database, e.g. 'database: app'"),
            User = s.GetString("user") ?? "postgres",
            Password = s.GetSecret("password"),
            Schema = s.GetString("schema") ?? "public",
            SslMode = s.GetEnum<SslMode>("ssl_mode") ?? SslMode.Prefer,
            SslRootCertificate = s.GetString("ssl_root_cert"),
            SslCertificate = s.GetString("ssl_cert"),
            SslKey = s.GetString("ssl_key"),
        };
        s.RejectUnknownKeys(["type"]);
        return options;
    }

    /// <summary>A pooled data source; statements repeated on a hot path are prepared automatically.</summary>
    public NpgsqlDataSource CreateDataSource()
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = Database,
            Username = User,
            Password = Password?.Reveal(),
            SslMode = SslMode,
            RootCertificate = SslRootCertificate,
            SslCertificate = SslCertificate,
            SslKey = SslKey,
            ApplicationName = "sluice",
            MaxAutoPrepare = 32,
            AutoPrepareMinUsages = 2,
            Timeout = 15,
            // Rows stream in keyset pages of thousands: a large buffer means one socket read per ~600 rows, not per ~80.
            ReadBufferSize = 64 * 1024,
            WriteBufferSize = 64 * 1024,
        };
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }
}
