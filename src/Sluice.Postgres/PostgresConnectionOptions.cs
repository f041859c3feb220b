using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Postgres.Security;

namespace Sluice.Postgres;

/// <summary>A <c>type: postgres</c> connection (G1): where the database is, how to log in, and how to check whom we talk to.</summary>
public sealed class PostgresConnectionOptions
{
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(15);

    public required string Name { get; init; }

    /// <summary>Default <c>localhost</c>.</summary>
    public string Host { get; init; } = "localhost";

    /// <summary>Default 5432.</summary>
    public int Port { get; init; } = 5432;

    public required string Database { get; init; }

    /// <summary>Default <c>postgres</c>.</summary>
    public string User { get; init; } = "postgres";

    /// <summary>A fixed password; never set together with <see cref="PasswordCommand"/>.</summary>
    public Secret? Password { get; init; }

    /// <summary>A command printing a short-lived password (<c>password_command:</c>); never set together with <see cref="Password"/>.</summary>
    public PasswordCommandOptions? PasswordCommand { get; init; }

    /// <summary>Schema for unqualified table names. Default <c>public</c>.</summary>
    public string Schema { get; init; } = "public";

    /// <summary>
    /// Default <c>prefer</c> on this machine (<see cref="IsLoopback"/>), <c>require</c> beyond it: data crossing a network
    /// is encrypted unless the config says <c>ssl_mode: disable</c> (which <c>sluice check</c> warns about).
    /// </summary>
    public SslMode SslMode { get; init; } = SslMode.Prefer;

    /// <summary>PEM file of the CA(s) the server's certificate must chain to (<c>verify-ca</c>, <c>verify-full</c>); default this machine's CAs.</summary>
    public string? SslRootCertificate { get; init; }

    /// <summary>PEM client certificate, for servers that authenticate clients by certificate (<c>hostssl … cert</c>).</summary>
    public string? SslCertificate { get; init; }

    /// <summary>PEM private key of <see cref="SslCertificate"/>.</summary>
    public string? SslKey { get; init; }

    /// <summary>How long opening a connection (DNS, TCP, TLS, login) may take. Default 15 seconds.</summary>
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary>How a user would name this connection in a message.</summary>
    public string Describe() => $"connection '{Name}' ({Host}:{Port}/{Database})";

    public static PostgresConnectionOptions Bind(ConnectionConfig config)
    {
        var s = config.Settings;
        var host = s.GetString("host") ?? "localhost";
        var options = new PostgresConnectionOptions
        {
            Name = config.Name,
            Host = host,
            Port = s.GetInt("port", 1, 65535) ?? 5432,
            Database = s.RequireString("database", "name the database, e.g. 'database: app'"),
            User = s.GetString("user") ?? "postgres",
            Password = s.GetSecret("password"),
            PasswordCommand = BindPasswordCommand(s),
            Schema = s.GetString("schema") ?? "public",
            SslMode = s.GetEnum<SslMode>("ssl_mode") ?? DefaultSslMode(host),
            SslRootCertificate = ExistingFile(s, "ssl_root_cert"),
            SslCertificate = ExistingFile(s, "ssl_cert"),
            SslKey = ExistingFile(s, "ssl_key"),
            ConnectTimeout = s.GetDuration("connect_timeout") ?? DefaultConnectTimeout,
        };
        s.RejectUnknownKeys(["type"]);

        if (options.Password is not null && options.PasswordCommand is not null)
        {
            throw new ConfigException(s.LocationOf("password_command"), "'password' and 'password_command' are both set",
                "keep one: 'password: ${VARIABLE}' for a fixed password, or 'password_command:' for a command that prints a short-lived token");
        }

        if (options.ConnectTimeout < TimeSpan.FromSeconds(1))
        {
            throw new ConfigException(s.LocationOf("connect_timeout"), "'connect_timeout' is under a second", "use 1s or more, e.g. 10s");
        }

        CheckCertificates(s, options);
        return options;
    }

    /// <summary>
    /// Whether <paramref name="host"/> is this machine: <c>localhost</c>, a loopback address (127.0.0.0/8, <c>::1</c>) or
    /// a unix socket directory (a path). Only there may a connection go without TLS by default.
    /// </summary>
    public static bool IsLoopback(string host) =>
        host.StartsWith('/')
        || host.StartsWith('@') // an abstract unix socket
        || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));

    /// <summary><c>prefer</c> on this machine, <c>require</c> beyond it — as Segment's warehouse loader refuses plaintext.</summary>
    public static SslMode DefaultSslMode(string host) => IsLoopback(host) ? SslMode.Prefer : SslMode.Require;

    /// <summary>
    /// What <c>sluice check</c> says about how this connection travels: plaintext beyond this machine is a warning
    /// (it had to be asked for), TLS without a certificate check a recommendation; nothing on this machine or with
    /// <c>verify-full</c>.
    /// </summary>
    public string? TransportAdvice()
    {
        if (IsLoopback(Host))
        {
            return null;
        }

        var mode = SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Allow => "allow",
            SslMode.Prefer => "prefer",
            SslMode.Require => "require",
            SslMode.VerifyCA => "verify-ca",
            _ => null,
        };
        return SslMode switch
        {
            SslMode.Disable or SslMode.Allow or SslMode.Prefer =>
                $"'ssl_mode: {mode}' lets data and the password cross the network to {Host} unencrypted; use 'ssl_mode: verify-full' (with 'ssl_root_cert' for a private CA), or at least 'require'",
            SslMode.Require or SslMode.VerifyCA =>
                $"'ssl_mode: {mode}' encrypts but does not check that the server is {Host}; 'ssl_mode: verify-full' (with 'ssl_root_cert' for a private CA) also checks the certificate's host name",
            _ => null,
        };
    }

    /// <summary>A pooled data source; statements repeated on a hot path are prepared automatically.</summary>
    public NpgsqlDataSource CreateDataSource() => CreateDataSource(TimeProvider.System);

    /// <param name="time">The clock that times out a <c>password_command</c> and decides when its token is refreshed.</param>
    public NpgsqlDataSource CreateDataSource(TimeProvider time) => CreateDataSource(time, null);

    /// <param name="time">The clock that times out a <c>password_command</c> and decides when its token is refreshed.</param>
    /// <param name="configure">Changes to this one data source (a pool size, a session set-up), after the connection's own.</param>
    public NpgsqlDataSource CreateDataSource(TimeProvider time, Action<NpgsqlDataSourceBuilder>? configure)
    {
        var verifies = SslMode is SslMode.VerifyCA or SslMode.VerifyFull;
        // Npgsql refuses its own verify modes next to a validation callback: the callback does all of the checking.
        var builder = new NpgsqlDataSourceBuilder(ConnectionString(verifies ? SslMode.Require : SslMode));
        if (verifies)
        {
            var validator = new ServerCertificateValidator(Host, SslMode, SslRootCertificate, Describe());
            builder.UseSslClientAuthenticationOptionsCallback(tls => tls.RemoteCertificateValidationCallback = validator.Validate);
        }

        // The password is asked for on each new physical connection (pooled ones are reused), so a token
        // that expires is replaced on the next login without restarting anything.
        if (CreatePasswordProvider(time) is { } passwords)
        {
            builder.UsePasswordProvider(
                _ => passwords.GetPasswordAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult(),
                (_, ct) => passwords.GetPasswordAsync(ct));
        }

        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>Where logins get their password; null when the server needs none (trust, certificate).</summary>
    public IPasswordProvider? CreatePasswordProvider(TimeProvider time) => (Password, PasswordCommand) switch
    {
        ({ } secret, _) => new StaticPasswordProvider(secret),
        (_, { } command) => new CommandPasswordProvider(command, Describe(), time),
        _ => null,
    };

    /// <summary>Everything but the password (and the server-certificate checks, which need a data source builder).</summary>
    private string ConnectionString(SslMode sslMode) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = Database,
            Username = User,
            SslMode = sslMode,
            SslCertificate = SslCertificate,
            SslKey = SslKey,
            ApplicationName = "sluice",
            MaxAutoPrepare = 32,
            AutoPrepareMinUsages = 2,
            Timeout = (int)Math.Ceiling(ConnectTimeout.TotalSeconds),
            // Rows stream in keyset pages of thousands: a large buffer means one socket read per ~600 rows, not per ~80.
            ReadBufferSize = 64 * 1024,
            WriteBufferSize = 64 * 1024,
        }.ConnectionString;

    private static PasswordCommandOptions? BindPasswordCommand(ConfigSection s)
    {
        var command = s.GetStringList("password_command");
        var refresh = s.GetDuration("password_refresh");
        var timeout = s.GetDuration("password_command_timeout");
        if (command is null)
        {
            if (refresh is not null || timeout is not null)
            {
                var key = refresh is not null ? "password_refresh" : "password_command_timeout";
                throw new ConfigException(s.LocationOf(key), $"'{key}' is set but 'password_command' is not", "add 'password_command:' or remove it");
            }

            return null;
        }

        if (command.Count == 0 || command[0].Trim().Length == 0)
        {
            throw new ConfigException(s.LocationOf("password_command"), "'password_command' is empty",
                "give the command that prints the password, e.g. [aws, rds, generate-db-auth-token, --hostname, db.example.com, --port, '5432', --username, sluice]");
        }

        if (refresh <= TimeSpan.Zero || timeout <= TimeSpan.Zero)
        {
            var key = refresh <= TimeSpan.Zero ? "password_refresh" : "password_command_timeout";
            throw new ConfigException(s.LocationOf(key), $"'{key}' must be more than 0", "e.g. 10m for password_refresh, 30s for password_command_timeout");
        }

        return new PasswordCommandOptions
        {
            Command = command,
            Refresh = refresh ?? PasswordCommandOptions.DefaultRefresh,
            Timeout = timeout ?? PasswordCommandOptions.DefaultTimeout,
        };
    }

    /// <summary>A file path, relative to the config file's directory, that must exist when the config is loaded.</summary>
    private static string? ExistingFile(ConfigSection s, string key)
    {
        if (s.GetString(key) is not { Length: > 0 } path)
        {
            return null;
        }

        var location = s.LocationOf(key);
        var directory = Path.GetDirectoryName(Path.GetFullPath(location.File)) ?? Directory.GetCurrentDirectory();
        var full = Path.GetFullPath(path, directory);
        return File.Exists(full)
            ? full
            : throw new ConfigException(location, $"'{key}' names {s.Show(key, full)}, which does not exist", "give the path of the PEM file (relative paths are read from the config file's directory)");
    }

    private static void CheckCertificates(ConfigSection s, PostgresConnectionOptions options)
    {
        if (options.SslRootCertificate is { } root)
        {
            var roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPemFile(root);
            }
            catch (CryptographicException)
            {
                roots.Clear();
            }

            if (roots.Count == 0)
            {
                throw new ConfigException(s.LocationOf("ssl_root_cert"), $"'ssl_root_cert' ({root}) holds no PEM certificate", "give the CA certificate as PEM ('-----BEGIN CERTIFICATE-----')");
            }
        }

        if ((options.SslCertificate is null) != (options.SslKey is null))
        {
            var missing = options.SslCertificate is null ? "ssl_cert" : "ssl_key";
            throw new ConfigException(s.LocationOf(missing == "ssl_cert" ? "ssl_key" : "ssl_cert"), $"'{missing}' is missing",
                "a client certificate needs both: 'ssl_cert' (the certificate) and 'ssl_key' (its private key), as PEM files");
        }

        if (options.SslCertificate is { } certificate && options.SslKey is { } key)
        {
            try
            {
                using var pair = X509Certificate2.CreateFromPemFile(certificate, key);
            }
            catch (CryptographicException e)
            {
                throw new ConfigException(s.LocationOf("ssl_key"), $"'ssl_cert' and 'ssl_key' cannot be read as a certificate and its key: {e.Message}",
                    "give PEM files, an unencrypted key, and the key that belongs to the certificate");
            }
        }
    }
}
