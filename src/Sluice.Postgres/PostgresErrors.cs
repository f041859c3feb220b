using System.Net.Sockets;
using Npgsql;
using Sluice.Core.Errors;

namespace Sluice.Postgres;

/// <summary>
/// The one place where driver and network failures become Sluice errors with a plain message and a fix.
/// </summary>
public static class PostgresErrors
{
    /// <param name="error">What Npgsql or the socket threw.</param>
    /// <param name="what">What we were talking to, e.g. <c>connection 'app' (127.0.0.1:5432/app)</c>.</param>
    public static SluiceException Translate(Exception error, string what)
    {
        switch (error)
        {
            case SluiceException sluice:
                return sluice;
            case PostgresException pg:
                return pg.SqlState switch
                {
                    "28P01" or "28000" => SluiceException.Fatal($"{what}: authentication failed for user '{pg.Data["User"] ?? "?"}': {pg.MessageText}; check the user and password (an ${{ENV}} variable that is not set is a common cause)", pg),
                    "3D000" => SluiceException.Fatal($"{what}: {pg.MessageText}; create it or fix 'database:' in the connection", pg),
                    "42501" => SluiceException.Fatal($"{what}: permission denied: {pg.MessageText}; run `sluice grants` for the SQL a DBA can apply", pg),
                    "42P01" => SluiceException.Fatal($"{what}: {pg.MessageText}", pg),
                    "53300" => SluiceException.Transient($"{what}: the server has too many connections; will retry", pg),
                    "57P01" or "57P02" or "57P03" => SluiceException.Transient($"{what}: the server is shutting down or starting up; will retry", pg),
                    "40001" or "40P01" => SluiceException.Transient($"{what}: {pg.MessageText}; will retry", pg),
                    _ when pg.SqlState.StartsWith("08", StringComparison.Ordinal) => SluiceException.Transient($"{what}: connection failure: {pg.MessageText}", pg),
                    _ => SluiceException.Fatal($"{what}: {pg.MessageText} (SQLSTATE {pg.SqlState})", pg),
                };
            case NpgsqlException { InnerException: SocketException socket } npgsql:
                return Socket(socket, what, npgsql);
            case SocketException socket:
                return Socket(socket, what, socket);
            case NpgsqlException { InnerException: TimeoutException } or TimeoutException:
                return SluiceException.Transient($"{what}: I/O timeout; check that the host is reachable and the port is open (firewall, security group)", error);
            case NpgsqlException npgsql when npgsql.Message.Contains("SSL", StringComparison.OrdinalIgnoreCase) || npgsql.InnerException is System.Security.Authentication.AuthenticationException:
                return SluiceException.Fatal($"{what}: TLS failed: {npgsql.InnerException?.Message ?? npgsql.Message}; check ssl_mode and ssl_root_cert", npgsql);
            case NpgsqlException npgsql:
                return SluiceException.Transient($"{what}: {npgsql.Message}", npgsql);
            default:
                return SluiceException.Fatal($"{what}: {error.Message}", error);
        }
    }

    private static SluiceException Socket(SocketException socket, string what, Exception inner) => socket.SocketErrorCode switch
    {
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain =>
            SluiceException.Fatal($"{what}: no such host; check 'host:' in the connection", inner),
        SocketError.ConnectionRefused =>
            SluiceException.Transient($"{what}: connection refused; is PostgreSQL running and listening on that port?", inner),
        SocketError.TimedOut =>
            SluiceException.Transient($"{what}: I/O timeout; check that the host is reachable and the port is open", inner),
        _ => SluiceException.Transient($"{what}: network error: {socket.Message}", inner),
    };
}
