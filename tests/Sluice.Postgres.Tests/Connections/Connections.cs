using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;

namespace Sluice.Postgres.Tests.Connections;

/// <summary>Connections as a user declares them: YAML, bound and opened the way <c>sluice check</c> does.</summary>
internal static class Connections
{
    /// <param name="keys">The connection's keys, one per line, e.g. <c>host: localhost</c>.</param>
    public static ConnectionConfig Config(string keys, IReadOnlyDictionary<string, string>? environment = null)
    {
        var indented = string.Join('\n', keys.Split('\n').Select(l => "    " + l.Trim()));
        var yaml = $"connections:\n  db:\n    type: postgres\n{indented}\n";
        return SluiceConfig.Parse(yaml, "sluice.yaml", environment ?? new Dictionary<string, string>()).Connections.Single();
    }

    public static PostgresConnectionOptions Options(string keys) => PostgresConnectionOptions.Bind(Config(keys));

    /// <summary>What <c>sluice check</c> does for the connection.</summary>
    public static async Task CheckAsync(string keys)
    {
        await using var resources = new ConnectorResources(TimeProvider.System);
        await new PostgresConnector().CheckConnectionAsync(Config(keys), resources, CancellationToken.None);
    }

    /// <summary>The one-line error <c>sluice check</c> reports for the connection.</summary>
    public static async Task<string> CheckFailsAsync(string keys)
    {
        var error = await Assert.ThrowsAnyAsync<SluiceException>(() => CheckAsync(keys));
        Assert.DoesNotContain('\n', error.Message);
        return error.Message;
    }

    /// <summary>Opens a connection from the options' own data source and returns <paramref name="sql"/>'s value.</summary>
    public static async Task<object?> ScalarAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
