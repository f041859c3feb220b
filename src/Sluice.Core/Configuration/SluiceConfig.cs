using Sluice.Core.Configuration.Internal;

namespace Sluice.Core.Configuration;

/// <summary>
/// A loaded and checked <c>sluice.yaml</c> (the format is docs/config.md). Loading checks the
/// file's own structure: YAML syntax, unknown and duplicate keys, names, every sync's source,
/// destination and mapping, and that connections it names are declared. Connector-specific keys
/// are read and checked by the connectors through <see cref="ConfigSection"/>.
/// </summary>
public sealed partial class SluiceConfig
{
    /// <summary>The only format version so far; a file without <c>version:</c> is version 1.</summary>
    public const int CurrentVersion = 1;

    private SluiceConfig(
        string filePath,
        int version,
        IReadOnlyList<ConnectionConfig> connections,
        IReadOnlyList<SyncConfig> syncs,
        StateConfig state,
        ServerConfig server,
        SyncDependencies dependencies)
    {
        FilePath = filePath;
        Version = version;
        Connections = connections;
        Syncs = syncs;
        State = state;
        Server = server;
        Dependencies = dependencies;
        // The one place the rule lives: state.connection when given (checked to be postgres), else the first postgres connection.
        StateConnection = state.Connection is { } name ? FindConnection(name) : connections.FirstOrDefault(c => c.Type == PostgresType);
    }

    /// <summary>The top's <c>attention:</c> thresholds (or the defaults); each sync's own are <see cref="SyncConfig.Attention"/>.</summary>
    public AttentionThresholds Attention { get; private init; } = AttentionThresholds.Default;

    /// <summary>The full path of the loaded file; for <see cref="Parse"/>, the file name given.</summary>
    public string FilePath { get; }

    public int Version { get; }

    /// <summary>In file order.</summary>
    public IReadOnlyList<ConnectionConfig> Connections { get; }

    /// <summary>In file order.</summary>
    public IReadOnlyList<SyncConfig> Syncs { get; }

    public StateConfig State { get; }

    public ServerConfig Server { get; }

    /// <summary>
    /// The connection Sluice keeps its state in: <c>state.connection</c>, or else the first postgres connection. Null only
    /// in a file with no sync and no postgres connection (loading refuses a file with syncs and nowhere to keep state).
    /// </summary>
    public ConnectionConfig? StateConnection { get; }

    /// <summary>The metric alerts (<c>alerts:</c>), in file order; their keys are checked by the host that evaluates them.</summary>
    public IReadOnlyList<AlertConfig> Alerts { get; private init; } = [];

    /// <summary>
    /// <c>notify:</c> as written (a webhook told when a sync starts or stops needing attention), or null; its keys are
    /// checked by the host that sends (<c>sluice run</c>, docs/alerting.md).
    /// </summary>
    public ConfigSection? Notify { get; private init; }

    /// <summary>The <c>after:</c> graph over <see cref="Syncs"/>, checked at load (every name declared, no cycle).</summary>
    public SyncDependencies Dependencies { get; }

    /// <summary>The file as parsed, for checks over every key (<see cref="LiteralSecrets"/>).</summary>
    internal YamlDotNet.RepresentationModel.YamlMappingNode? Root { get; private init; }

    /// <summary>The file's shared context (where <c>${VAR}</c> and <c>${secret:NAME}</c> are looked up).</summary>
    private ConfigContext? Context { get; init; }

    /// <summary>
    /// Where <c>${secret:NAME}</c> is looked up from now on: the host that opens the state store attaches its secrets
    /// here. Values are looked up when a key is read (a connector binding its options), so a config loads without the
    /// state store and the master key, and a secret nobody reads is never decrypted.
    /// </summary>
    public void UseSecrets(ISecretResolver secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (Context is not null)
        {
            Context.Secrets = secrets;
        }
    }

    /// <summary>Whether a resolver for <c>${secret:NAME}</c> is attached (<see cref="UseSecrets"/>).</summary>
    public bool HasSecrets => Context?.Secrets is not null;

    public ConnectionConfig? FindConnection(string name) => Connections.FirstOrDefault(c => c.Name == name);

    public SyncConfig? FindSync(string name) => Syncs.FirstOrDefault(s => s.Name == name);

    /// <summary>
    /// Reads and checks the file at <paramref name="path"/>. Errors name the path as given.
    /// <c>${VAR}</c> is looked up in <paramref name="environment"/>, by default the process environment.
    /// </summary>
    public static SluiceConfig Load(string path, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new ConfigException(null, $"'{path}' is a directory, not a config file", $"pass the file itself, e.g. {System.IO.Path.Combine(path, "sluice.yaml")}");
        }

        string text;
        try
        {
            // Checked before reading, so that a huge file (or a device) never reaches memory.
            if (new FileInfo(path) is { Exists: true, Length: > ConfigLimits.MaxFileBytes })
            {
                throw YamlDocumentReader.TooLarge(path);
            }

            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigException(
                null,
                $"config file '{path}' does not exist",
                "pass the right file with --config, write one (docs/config.md has a complete example), or run `sluice demo` to see Sluice work without one");
        }
        catch (UnauthorizedAccessException)
        {
            throw new ConfigException(null, $"config file '{path}' cannot be read: permission denied", "give the user running sluice read access to it");
        }
        catch (IOException e)
        {
            throw new ConfigException(null, $"config file '{path}' cannot be read: {e.Message}");
        }

        return Read(text, path, System.IO.Path.GetFullPath(path), environment);
    }

    /// <summary>Checks YAML text; <paramref name="fileName"/> is what error messages call the file.</summary>
    public static SluiceConfig Parse(string yaml, string fileName, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        return Read(yaml, fileName, fileName, environment);
    }

    private static SluiceConfig Read(string yaml, string fileName, string filePath, IReadOnlyDictionary<string, string>? environment)
    {
        var context = ConfigContext.For(fileName, environment);
        var top = new ConfigLocation(fileName, 1, 1, "");
        var node = YamlDocumentReader.Read(yaml, context)
            ?? throw new ConfigException(top, "the file is empty", "start from the complete example in docs/config.md");
        var root = new ConfigSection(node, "", top, context);

        var version = ReadVersion(root);
        var stateSection = root.GetSection("state");
        var serverSection = root.GetSection("server");
        var connectionsSection = root.ReadSection("connections", "write connections as a mapping of names, e.g. `app: {type: postgres, …}`", required: false);
        var syncsSection = root.ReadSection("syncs", "write syncs as a mapping of names, e.g. `users_to_segment: {source: …, destination: …, mapping: …}`", required: false);
        var attention = AttentionThresholds.Bind(root, AttentionThresholds.Default);
        var alertsSection = root.ReadSection("alerts", "write alerts as a mapping of names, e.g. `failed_payments: {connection: app, sql: …, schedule: every 5m, above: 10, …}`", required: false);
        var notify = root.GetSection("notify");
        root.RejectUnknownKeys();

        var connections = ReadConnections(connectionsSection);
        var syncs = ReadSyncs(syncsSection, connections, attention);
        var state = ReadState(stateSection, root, connections, syncs);
        var server = ReadServer(serverSection, root);
        var dependencies = SyncDependencies.Build(syncs);
        return new SluiceConfig(filePath, version, connections, syncs, state, server, dependencies) { Alerts = ReadAlerts(alertsSection), Attention = attention, Notify = notify, Context = context, Root = node };
    }
}
