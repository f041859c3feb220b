using Npgsql;
using Sluice.Core.Errors;

namespace Sluice.Postgres;

/// <summary>
/// What a <see cref="PostgresCall"/> talks to, so that its error names it: the state store, or a connection as
/// <c>connection 'app' (127.0.0.1:5432/app)</c>. A site that knows more about some SQLSTATEs than the generic
/// translation (a replication slot in use, a missing slot) adds it with <see cref="Specific"/>.
/// </summary>
/// <param name="What">Leads the message: what we were talking to.</param>
public sealed record PostgresCallContext(string What)
{
    /// <summary>The state store in its default words.</summary>
    public static PostgresCallContext StateStore { get; } = new("state database");

    /// <summary>The state store, naming its schema (where a command may point at several).</summary>
    public static PostgresCallContext StateStoreIn(string schema) => new($"state database (schema {schema})");

    /// <summary>A connection of the config, as <c>PostgresConnectionOptions.Describe()</c> writes it.</summary>
    public static PostgresCallContext Connection(string described) => new(described);

    /// <summary>
    /// A translation this site knows better, tried before the generic one; <see langword="null"/> for a server error it
    /// has nothing to add to.
    /// </summary>
    public Func<PostgresException, SluiceException?>? Specific { get; init; }
}
