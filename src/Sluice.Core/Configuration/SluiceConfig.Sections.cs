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
        var listen = ReadListen(section, "listen", ServerConfig.DefaultListen, "http://0.0.0.0:7080");
        var adminListen = ReadListen(section, "admin_listen", ServerConfig.DefaultAdminListen, "http://0.0.0.0:7081");
        var token = section?.GetSecret("admin_token");
        var allowedHosts = section?.GetStringList("allowed_hosts")?.Select(h => h.Trim()).Where(h => h.Length > 0).ToList() ?? [];
        var tls = ReadTls(section?.GetSection("tls"));
        section?.RejectUnknownKeys();

        if (SameAddress(listen, adminListen))
        {
            throw new ConfigException(
                section!.LocationOf(section.Has("admin_listen") ? "admin_listen" : "listen"),
                $"server.admin_listen and server.listen are both {adminListen}: the dashboard and admin API have a listener of their own",
                $"give them different ports, e.g. 'admin_listen: {ServerConfig.DefaultAdminListen}' next to 'listen: {ServerConfig.DefaultListen}'");
        }

        if (token is null && !Net.LoopbackHosts.IsLoopbackUrl(adminListen))
        {
            throw new ConfigException(
                section!.LocationOf("admin_listen"),
                $"server.admin_listen {section.Show("admin_listen", $"'{adminListen}'")} is reachable from other machines, and server.admin_token is not set",
                "set 'admin_token: ${SLUICE_ADMIN_TOKEN}' (a long random value, e.g. from `openssl rand -hex 32`) under server:, or bind the admin listener to 127.0.0.1");
        }

        // An https listen without tls is refused when `sluice run` starts (SluiceServer): `--listen` may give one too.
        var https = listen.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        if (!https && tls is not null)
        {
            throw new ConfigException(tls.Location, $"server.tls is set, but server.listen {section!.Show("listen", $"'{listen}'")} is plain http",
                "write the listen URL with https://, e.g. 'listen: https://0.0.0.0:7443'");
        }

        if (adminListen.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw new ConfigException(section!.LocationOf("admin_listen"), "server.admin_listen cannot be https: server.tls serves the ingest listener only",
                "bind the admin listener to http://127.0.0.1 and reach it through a reverse proxy that terminates TLS (docs/deploy.md)");
        }

        return new ServerConfig(listen, section?.Location ?? root.Location) { AdminListen = adminListen, AdminToken = token, AllowedHosts = allowedHosts, Tls = tls };
    }

    private static string ReadListen(ConfigSection? section, string key, string fallback, string everyInterface)
    {
        var listen = section?.GetString(key)?.Trim() ?? fallback;
        if (!IsListenUrl(listen))
        {
            throw new ConfigException(
                section!.LocationOf(key),
                $"'{key}' must be an http:// or https:// URL with a host and port, not {section!.Show(key, $"'{listen}'")}",
                $"e.g. {fallback} (only this machine) or {everyInterface} (every interface)");
        }

        return listen;
    }

    private static ServerTlsConfig? ReadTls(ConfigSection? tls)
    {
        if (tls is null)
        {
            return null;
        }

        var certificate = ExistingFile(tls, tls.RequireString("certificate", "name the certificate file, e.g. 'certificate: /etc/sluice/cert.pem' (PEM) or a .pfx file"));
        var key = tls.GetString("key") is { Length: > 0 } ? ExistingFile(tls, tls.GetString("key")!, "key") : null;
        var password = tls.GetSecret("password");
        tls.RejectUnknownKeys();
        var pkcs12 = certificate.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || certificate.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
        if (key is null && !pkcs12)
        {
            throw new ConfigException(tls.LocationOf("key"), "server.tls.certificate is a PEM file and server.tls.key is not set",
                "name the certificate's private key, e.g. 'key: /etc/sluice/key.pem', or give a .pfx/.p12 file with 'password:'");
        }

        return new ServerTlsConfig(certificate, key, password, tls.Location);
    }

    /// <summary>A file path, relative to the config file's directory, that must exist when the config is loaded.</summary>
    private static string ExistingFile(ConfigSection section, string path, string key = "certificate")
    {
        var location = section.LocationOf(key);
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(location.File)) ?? Directory.GetCurrentDirectory();
        var full = System.IO.Path.GetFullPath(path, directory);
        return File.Exists(full)
            ? full
            : throw new ConfigException(location, $"server.tls.{key} names {section.Show(key, full)}, which does not exist", "give the path of the file (relative paths are read from the config file's directory)");
    }

    private static bool SameAddress(string a, string b) =>
        Uri.TryCreate(a.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var x)
        && Uri.TryCreate(b.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var y)
        && x.Port == y.Port && x.Port != 0 && (x.Host == y.Host || x.Host == "0.0.0.0" || y.Host == "0.0.0.0");

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
