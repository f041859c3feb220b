using System.Net.Sockets;
using System.Security.Authentication;
using Npgsql;
using Sluice.Core.Errors;

namespace Sluice.Postgres;

/// <summary>
/// The one place where driver and network failures become Sluice errors: one line that says what happened
/// and what to do about it (W6), the same from <c>sluice check</c> and at run time.
/// </summary>
public static class PostgresErrors
{
    private const string GrantsHint = "run `sluice grants --role NAME --for source|warehouse|events|state` for the SQL a DBA can apply";

    /// <param name="error">What Npgsql or the socket threw.</param>
    /// <param name="what">What we were talking to, e.g. <c>connection 'app' (127.0.0.1:5432/app)</c>.</param>
    public static SluiceException Translate(Exception error, string what)
    {
        // Our own failures from inside the driver (a password command, a certificate check) come wrapped in its exception.
        for (var inner = error; inner is not null; inner = inner.InnerException)
        {
            if (inner is SluiceException sluice)
            {
                return sluice;
            }
        }

        switch (error)
        {
            case PostgresException pg:
                return Server(pg, what);
            case NpgsqlException { InnerException: SocketException socket } npgsql:
                return Socket(socket, what, npgsql);
            case SocketException socket:
                return Socket(socket, what, socket);
            case NpgsqlException { InnerException: TimeoutException } or TimeoutException:
                return SluiceException.Transient($"{what}: I/O timeout: nothing answered in time; check that host and port point at PostgreSQL and that no firewall drops the traffic (connect_timeout sets how long to wait)", error);
            case NpgsqlException npgsql when npgsql.Message.Contains("No SSL enabled connection", StringComparison.OrdinalIgnoreCase)
                                          || npgsql.Message.Contains("does not support SSL", StringComparison.OrdinalIgnoreCase):
                return SluiceException.Fatal($"{what}: the server does not offer TLS, but ssl_mode asks for it; turn on ssl on the server, or set ssl_mode: prefer", npgsql);
            case NpgsqlException npgsql when npgsql.InnerException is AuthenticationException || npgsql.Message.Contains("SSL", StringComparison.OrdinalIgnoreCase):
                return SluiceException.Fatal($"{what}: TLS failed: {OneLine(npgsql.InnerException?.Message ?? npgsql.Message)}; check ssl_mode, ssl_root_cert, ssl_cert and ssl_key", npgsql);
            case NpgsqlException npgsql:
                return SluiceException.Transient($"{what}: {OneLine(npgsql.Message)}", npgsql);
            default:
                return SluiceException.Fatal($"{what}: {OneLine(error.Message)}", error);
        }
    }

    private static SluiceException Server(PostgresException pg, string what)
    {
        var text = pg.MessageText;
        return pg.SqlState switch
        {
            "28P01" => SluiceException.Fatal($"{what}: {text}; check 'password:' (an ${{ENV}} variable that is not set is a common cause) or what 'password_command' prints", pg),
            "28000" when text.StartsWith("no pg_hba.conf entry", StringComparison.Ordinal) && text.EndsWith("no encryption", StringComparison.Ordinal) =>
                SluiceException.Fatal($"{what}: the server requires TLS ({text}); set ssl_mode: require (or verify-full)", pg),
            "28000" when text.Contains("pg_hba.conf", StringComparison.Ordinal) =>
                SluiceException.Fatal($"{what}: the server's pg_hba.conf does not let this user log in from here ({text}); ask the DBA for a pg_hba.conf line for this user, database and address", pg),
            "28000" when text.StartsWith("role ", StringComparison.Ordinal) =>
                SluiceException.Fatal($"{what}: {text}; fix 'user:', or have a DBA create it (CREATE ROLE … LOGIN)", pg),
            "28000" => SluiceException.Fatal($"{what}: {text}; check 'user:' and how the server authenticates it", pg),
            "3D000" => SluiceException.Fatal($"{what}: {text}; create it or fix 'database:' in the connection", pg),
            "42501" when text.StartsWith("permission denied for database", StringComparison.Ordinal) =>
                SluiceException.Fatal($"{what}: {text} (the role lacks CONNECT); {GrantsHint}", pg),
            "42501" when text.StartsWith("permission denied for schema", StringComparison.Ordinal) =>
                SluiceException.Fatal($"{what}: {text} (the role lacks USAGE or CREATE on it); {GrantsHint}", pg),
            "42501" => SluiceException.Fatal($"{what}: {text}; {GrantsHint}", pg),
            "42P01" => SluiceException.Fatal($"{what}: {text}", pg),
            "53300" => SluiceException.Transient($"{what}: the server has too many connections; will retry", pg),
            "57P01" or "57P02" or "57P03" => SluiceException.Transient($"{what}: the server is shutting down or starting up; will retry", pg),
            "40001" or "40P01" => SluiceException.Transient($"{what}: {text}; will retry", pg),
            _ when pg.SqlState.StartsWith("08", StringComparison.Ordinal) => SluiceException.Transient($"{what}: connection failure: {text}", pg),
            _ => SluiceException.Fatal($"{what}: {text} (SQLSTATE {pg.SqlState})", pg),
        };
    }

    private static SluiceException Socket(SocketException socket, string what, Exception inner) => socket.SocketErrorCode switch
    {
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain =>
            SluiceException.Fatal($"{what}: no such host; check 'host:' in the connection (a typo, or a name only resolvable inside another network)", inner),
        SocketError.ConnectionRefused =>
            SluiceException.Transient($"{what}: connection refused; is PostgreSQL running and listening on that host and port (listen_addresses, port)?", inner),
        SocketError.TimedOut =>
            SluiceException.Transient($"{what}: I/O timeout: nothing answered in time; check that host and port point at PostgreSQL and that no firewall drops the traffic", inner),
        SocketError.NetworkUnreachable or SocketError.HostUnreachable =>
            SluiceException.Transient($"{what}: the host is unreachable from here; check 'host:' and the network route (VPN, security group)", inner),
        _ => SluiceException.Transient($"{what}: network error: {OneLine(socket.Message)}", inner),
    };

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
