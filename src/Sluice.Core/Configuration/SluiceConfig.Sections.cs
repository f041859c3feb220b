using Sluice.Core.Configuration.Internal;
using Sluice.Core.Mapping;

namespace Sluice.Core.Configuration;

/// <summary>Reading the top-level sections.</summary>
public sealed partial class SluiceConfig
{
    private const string PostgresType = "postgres";

    private static int ReadVersion(ConfigSection root)
    {
        var version = root.GetInt("version") ?? CurrentVersion;
        return version == CurrentVersion
            ? version
            : throw new ConfigException(
                root.LocationOf("version"),
                $"unsupported config version {root.Show("version", version.ToString(System.Globalization.CultureInfo.InvariantCulture))}",
                $"this Sluice reads `version: {CurrentVersion}`; upgrade Sluice or write the file for version {CurrentVersion}");
    }

    private static List<ConnectionConfig> ReadConnections(ConfigSection? section)
    {
        var connections = new List<ConnectionConfig>();
        foreach (var name in section?.Keys ?? [])
        {
            ConfigNames.Validate(name, "connection", section!.KeyLocation(name));
            var settings = section.RequireSection(name, $"give connection '{name}' its settings, starting with `type:` (e.g. `type: postgres`)");
            var type = settings.RequireString("type", "add `type: postgres` (or segment, salesforce, …)").Trim().ToLowerInvariant();
            if (!ConfigNames.IsValid(type))
            {
                throw new ConfigException(
                    settings.LocationOf("type"),
                    $"{settings.Show("type", $"'{type}'")} is not a connection type",
                    "use a connector name from docs/config.md, e.g. postgres or segment");
            }

            connections.Add(new ConnectionConfig(name, type, settings, settings.Location));
        }

        return connections;
    }

    private static List<AlertConfig> ReadAlerts(ConfigSection? section)
    {
        var alerts = new List<AlertConfig>();
        foreach (var name in section?.Keys ?? [])
        {
            ConfigNames.Validate(name, "alert", section!.KeyLocation(name));
            alerts.Add(new AlertConfig(name, section.RequireSection(name, $"give alert '{name}' a connection, sql, schedule, threshold and destination (see docs/config.md, alerts)")));
        }

        return alerts;
    }

    private static List<SyncConfig> ReadSyncs(ConfigSection? section, List<ConnectionConfig> connections, AttentionThresholds attention)
    {
        var syncs = new List<SyncConfig>();
        foreach (var name in section?.Keys ?? [])
        {
            ConfigNames.Validate(name, "sync", section!.KeyLocation(name));
            var sync = section.RequireSection(name, $"give sync '{name}' a source, a destination and a mapping (see docs/config.md)");
            var source = sync.RequireSection("source", "add `source:` with the `connection:` to read from and what to read, e.g. `table: public.users`");
            var sourceConnection = ReadConnectionName(source, $"sync '{name}': source.connection", connections);
            var destination = sync.RequireSection("destination", "add `destination:` with the `connection:` to write to");
            var destinationConnection = ReadConnectionName(destination, $"sync '{name}': destination.connection", connections);
            // Optional here: whether a sync needs one depends on its destination (CompiledMapping says so when it does).
            var mapping = sync.Has("mapping")
                ? MappingSpecReader.Read(sync.RequireSection("mapping", "add `mapping:` with the fields to send as `target: column`, e.g. `user_id: id`"))
                : MappingSpec.None(sync.Location);
            var schedule = sync.GetString("schedule");
            var after = sync.GetStringList("after")?.Select(a => a.Trim()).Distinct(StringComparer.Ordinal).ToList() ?? [];
            syncs.Add(new SyncConfig(name, sourceConnection, destinationConnection, source, destination, mapping, schedule, sync, sync.Location)
            {
                After = after,
                Attention = AttentionThresholds.Bind(sync, attention),
            });
        }

        return syncs;
    }

    private static StateConfig ReadState(ConfigSection? section, ConfigSection root, List<ConnectionConfig> connections, List<SyncConfig> syncs)
    {
        var postgres = connections.Where(c => c.Type == PostgresType).Select(c => c.Name).ToList();
        var connection = section?.Has("connection") == true ? ReadConnectionName(section, "state.connection", connections) : null;
        if (connection is not null && !postgres.Contains(connection))
        {
            throw new ConfigException(
                section!.LocationOf("connection"),
                $"state.connection '{connection}' is a {connections.First(c => c.Name == connection).Type} connection, but Sluice keeps its state in PostgreSQL",
                postgres.Count == 0 ? "declare a connection with `type: postgres` and name it here" : $"name a postgres connection: {string.Join(", ", postgres)}");
        }

        if (connection is null && postgres.Count == 0 && syncs.Count > 0)
        {
            throw new ConfigException(
                section?.Location ?? root.Location,
                "there is no postgres connection to keep Sluice's state (checkpoints, send ledger) in",
                "declare a connection with `type: postgres` (any database Sluice may create a schema in) and name it in `state: {connection: …}`");
        }

        var schema = section?.GetString("schema")?.Trim() ?? StateConfig.DefaultSchema;
        if (!ConfigNames.IsValid(schema))
        {
            throw new ConfigException(
                section!.LocationOf("schema"),
                $"schema name {section!.Show("schema", $"'{schema}'")} must start with a lower-case letter and contain only lower-case letters, digits and '_'",
                $"use a plain name such as '{StateConfig.DefaultSchema}'");
        }

        var keyFile = section?.GetString("master_key_file")?.Trim();
        var retention = StateRetention.Bind(section?.GetSection("retention"));
        section?.RejectUnknownKeys();
        return new StateConfig(connection, schema, section?.Location ?? root.Location)
        {
            Retention = retention,
            MasterKeyFile = string.IsNullOrEmpty(keyFile) ? null : System.IO.Path.GetFullPath(keyFile, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(root.Location.File)) ?? "."),
        };
    }

    private static ServerConfig ReadServer(ConfigSection? section, ConfigSection root)
    {
        var listen = section?.GetString("listen")?.Trim() ?? ServerConfig.DefaultListen;
        if (!IsListenUrl(listen))
        {
            throw new ConfigException(
                section!.LocationOf("listen"),
                $"'listen' must be an http:// or https:// URL with a host and port, not {section!.Show("listen", $"'{listen}'")}",
                $"e.g. {ServerConfig.DefaultListen} (only this machine) or http://0.0.0.0:7080 (every interface)");
        }

        section?.RejectUnknownKeys();
        return new ServerConfig(listen, section?.Location ?? root.Location);
    }

    /// <summary>Reads <c>connection:</c> and checks that it names a declared connection.</summary>
    private static string ReadConnectionName(ConfigSection section, string what, List<ConnectionConfig> connections)
    {
        var declared = connections.Select(c => c.Name).ToList();
        var list = string.Join(", ", declared);
        var name = section.RequireString(
            "connection",
            declared.Count == 0 ? "declare the connection under `connections:` and name it here" : $"name one of the declared connections: {list}");
        if (declared.Contains(name))
        {
            return name;
        }

        var shown = section.Show("connection", $"'{name}'");
        var literal = shown == $"'{name}'";
        var suggestion = literal ? NameSuggestions.Closest(name, declared) : null;
        throw new ConfigException(
            section.LocationOf("connection"),
            $"{what} {shown} is not a declared connection" + (suggestion is null ? "" : $"; did you mean '{suggestion}'?"),
            declared.Count == 0 ? $"declare {(literal ? shown : "it")} under `connections:`" : $"declared connections: {list}");
    }

    /// <summary>A URL Kestrel can bind: http(s), a host (<c>*</c> and <c>+</c> mean every interface), a port.</summary>
    private static bool IsListenUrl(string listen)
    {
        var normalised = listen.Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal);
        return Uri.TryCreate(normalised, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.Host.Length > 0
            && uri.AbsolutePath == "/"
            && string.IsNullOrEmpty(uri.Query);
    }
}
