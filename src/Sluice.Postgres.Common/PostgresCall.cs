using System.Net.Sockets;
using Npgsql;
using Sluice.Core.Errors;

namespace Sluice.Postgres;

/// <summary>
/// The one wrapper around a call to PostgreSQL: what the driver or the network throws comes out as a
/// <see cref="SluiceException"/> of the right class that names what we were talking to
/// (<see cref="PostgresCallContext"/>). Anything else (a cancellation, our own exception, a bug) passes through as is.
/// </summary>
public static class PostgresCall
{
    /// <summary>Whether <paramref name="error"/> came from the driver or the network, so is ours to translate.</summary>
    public static bool IsDriverFailure(Exception error) => error is NpgsqlException or SocketException or TimeoutException;

    public static async Task<T> RunAsync<T>(PostgresCallContext context, Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            return await work();
        }
        catch (Exception e) when (IsDriverFailure(e))
        {
            throw Translate(e, context);
        }
    }

    public static async Task RunAsync(PostgresCallContext context, Func<Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            await work();
        }
        catch (Exception e) when (IsDriverFailure(e))
        {
            throw Translate(e, context);
        }
    }

    /// <summary>For a hot path (a row read, a replication message) that should not allocate a delegate per call.</summary>
    public static async ValueTask<T> RunAsync<T>(PostgresCallContext context, ValueTask<T> work)
    {
        try
        {
            return await work;
        }
        catch (Exception e) when (IsDriverFailure(e))
        {
            throw Translate(e, context);
        }
    }

    /// <summary>The translation <see cref="RunAsync{T}(PostgresCallContext, Func{Task{T}})"/> applies, for a site that catches for itself.</summary>
    public static SluiceException Translate(Exception error, PostgresCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (error is PostgresException pg && context.Specific?.Invoke(pg) is { } specific)
        {
            return specific;
        }

        return PostgresErrors.Translate(error, context.What);
    }
}
