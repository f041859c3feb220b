using System.Net.Sockets;
using Npgsql;
using Sluice.Postgres;

namespace Sluice.State;

/// <summary>Every state-store call passes through here, so a driver failure reaches the user as one plain message.</summary>
internal static class StateErrors
{
    private const string What = "state database";

    public static async Task<T> GuardAsync<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            throw PostgresErrors.Translate(e, What);
        }
    }

    public static async Task GuardAsync(Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            throw PostgresErrors.Translate(e, What);
        }
    }
}
