using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Postgres;
using Sluice.Salesforce;
using Sluice.Segment;
using Sluice.State;
using Sluice.State.Ingest;

namespace Sluice.Server.Hosting;

/// <summary>
/// A loaded <c>sluice.yaml</c> with everything it needs to run: connectors, shared connection
/// resources, one delivery gate per destination connection, and the state store. The CLI and the
/// server both work through it.
/// </summary>
public sealed class SluiceWorkspace : IAsyncDisposable
{
    private readonly Dictionary<string, IConnector> _connectors;
    private readonly ConnectorResources _resources;
    private readonly Dictionary<string, DeliveryGate> _gates = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _stateLock = new(1, 1);
    private PostgresStateStore? _state;
    private IngestQueue? _ingestQueue;

    public SluiceWorkspace(SluiceConfig config, TimeProvider time, IEnumerable<IConnector>? connectors = null)
    {
        Config = config;
        Time = time;
        // A connector that counts its own requests (Salesforce) takes them from the same gate as the engine's batches.
        _resources = new ConnectorResources(time) { GateOf = name => Gate(Config.Connections.First(c => c.Name == name)) };
        // The ingest connector reads the queue in this workspace's state store, so it is made here, not in DefaultConnectors.
        _connectors = (connectors ?? [.. DefaultConnectors(), .. StateStoreConnectors(StateDataSourceAsync, IngestQueueAsync)]).ToDictionary(c => c.Type, StringComparer.Ordinal);
        // ${secret:NAME} is looked up in this workspace's state store when a connector first reads the key (docs/secrets.md).
        config.UseSecrets(Sluice.State.Secrets.StateSecretResolver.For(config, StateDataSource));
        // Credentials a connection's system rotates (Salesforce refresh tokens) are kept with those secrets.
        _resources.Credentials = new Sluice.State.Secrets.StateConnectionCredentials(
            async ct => (await StateDataSourceAsync(ct)).DataSource, config.State.Schema, () => Sluice.State.Secrets.MasterKey.FromEnvironment(config.State.MasterKeyFile));
    }

    /// <summary>The connectors this workspace knows, one per connection type; hosts look for their optional capabilities.</summary>
    public IReadOnlyCollection<IConnector> Connectors => _connectors.Values;

    public SluiceConfig Config { get; }

    public TimeProvider Time { get; }

    public static IEnumerable<IConnector> DefaultConnectors() => [new PostgresConnector(), new SegmentConnector(), new SalesforceConnector()];

    /// <summary>
    /// The connectors whose system is the state store itself (<c>type: ingest</c>, which reads the ingest queue): made
    /// by each host around the state store it opens, so not among <see cref="DefaultConnectors"/>.
    /// </summary>
    /// <param name="state">Opens the state store; called on first read.</param>
    /// <param name="queue">The host's ingest queue, for the ingest API's routes; null when the host serves none.</param>
    public static IEnumerable<IConnector> StateStoreConnectors(
        Func<CancellationToken, Task<(Npgsql.NpgsqlDataSource DataSource, string Schema)>> state, Func<CancellationToken, Task<IIngestQueue>>? queue = null) =>
        [new IngestConnector(state, queue), new Sluice.State.Engage.EngageConnector(state, queue)];

    /// <summary>The state store, opened (and migrated) on first use.</summary>
    public async Task<PostgresStateStore> StateAsync(CancellationToken ct)
    {
        await _stateLock.WaitAsync(ct);
        try
        {
            if (_state is null)
            {
                _state = await PostgresStateStore.OpenAsync(StateDataSource(), Config.State.Schema, ct);
            }

            return _state;
        }
        finally
        {
            _stateLock.Release();
        }
    }

    /// <summary>Where the ingest queue reports what retention dropped; set before the queue is first used.</summary>
    public ILogger? IngestLog { get; set; }

    /// <summary>
    /// The ingest queue in the state store, shared by every caller of this workspace and disposed with it (which
    /// commits what is waiting). It also applies the retention of every <c>type: ingest</c> connection.
    /// </summary>
    public async Task<IIngestQueue> IngestQueueAsync(CancellationToken ct)
    {
        var (dataSource, schema) = await StateDataSourceAsync(ct);
        await _stateLock.WaitAsync(ct);
        try
        {
            return _ingestQueue ??= new IngestQueue(dataSource, schema, new IngestQueueOptions { Retention = IngestRetention.FromConfig(Config), Log = IngestLog }, Time);
        }
        finally
        {
            _stateLock.Release();
        }
    }

    /// <summary>Every sync reading an ingest source: the events it has not read yet and those lost for it (the dashboard).</summary>
    public async Task<IReadOnlyList<IngestBacklog>> IngestBacklogAsync(CancellationToken ct)
    {
        var readers = Config.Syncs
            .Where(s => Config.FindConnection(s.SourceConnection) is { } source
                && _connectors.GetValueOrDefault(source.Type) is IBacklogReporting backlog && backlog.HasBacklog(s, source))
            .Select(s => (s.Name, s.SourceConnection))
            .ToList();
        if (readers.Count == 0)
        {
            return [];
        }

        var (dataSource, schema) = await StateDataSourceAsync(ct);
        return await IngestBacklog.ReadAsync(dataSource, schema, readers, ct);
    }

    /// <summary>The state store's data source and schema, the store opened (migrated) first.</summary>
    internal async Task<(Npgsql.NpgsqlDataSource DataSource, string Schema)> StateDataSourceAsync(CancellationToken ct)
    {
        await StateAsync(ct);
        return (StateDataSource(), Config.State.Schema);
    }

    /// <summary>
    /// Whether the state database answers within 5 s and has every migration this build needs (<c>/readyz</c>): the
    /// reason is for anyone who asks (no host, port or database named), the detail for the log.
    /// </summary>
    public async Task<(bool Ready, string? Reason, string? Detail)> ReadinessAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            var pending = await PostgresStateStore.PendingMigrationsAsync(StateDataSource(), Config.State.Schema, timeout.Token);
            return pending == 0
                ? (true, null, null)
                : (false, "the state database lacks migrations this version needs (they are applied when sluice starts)", $"{pending} migration(s) of schema {Config.State.Schema} not applied");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (false, "the state database did not answer within 5 s", "the state database did not answer within 5 s");
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or IOException or TimeoutException or SluiceException or InvalidOperationException)
        {
            return (false, "the state database cannot be reached", e.Message);
        }
    }

    /// <summary>Every alert of the config with what the state store says about it (<c>sluice alerts</c>).</summary>
    public async Task<IReadOnlyList<Alerts.AlertStatus>> AlertStatusAsync(CancellationToken ct)
    {
        var alerts = Alerts.AlertOptions.AllOf(Config);
        var (dataSource, schema) = await StateDataSourceAsync(ct);
        return await Alerts.AlertStatus.ReadAsync(dataSource, schema, alerts, ct);
    }

    /// <summary>Evaluates the config's alerts on their schedules (<c>sluice run</c>); <paramref name="http"/> sends their events.</summary>
    internal async Task RunAlertsAsync(HttpClient http, Microsoft.Extensions.Logging.ILogger log, CancellationToken ct)
    {
        var alerts = Alerts.AlertOptions.AllOf(Config);
        if (alerts.Count == 0)
        {
            return;
        }

        var (dataSource, schema) = await StateDataSourceAsync(ct);
        var evaluator = new Alerts.AlertEvaluator(dataSource, schema, a => PostgresConnector.Open(a.Connection, _resources).DataSource, new Alerts.AlertSender(http, Time, Gate), Time);
        await new Alerts.AlertScheduler(alerts, evaluator.EvaluateAsync, Time, log).RunAsync(ct);
    }

    /// <summary>
    /// Checks every sync's health on <c>notify.every</c> and tells the <c>notify:</c> webhook of each change (<c>sluice
    /// run</c>); returns at once without <c>notify:</c>. <paramref name="health"/> is the reading <c>/metrics</c> shares.
    /// </summary>
    internal async Task RunNotificationsAsync(HttpClient http, Metrics.HealthSnapshotCache health, Microsoft.Extensions.Logging.ILogger log, CancellationToken ct)
    {
        if (Notifications.NotifyOptions.Bind(Config) is not { } options)
        {
            return;
        }

        var (dataSource, schema) = await StateDataSourceAsync(ct);
        var evaluator = new Notifications.NotifyEvaluator(dataSource, schema, new Notifications.WebhookSender(http, options));
        await new Notifications.NotifyScheduler(options, health, evaluator, Time, log).RunAsync(ct);
    }

    /// <summary>Per-record history (<c>sluice explain</c>), read from the state store.</summary>
    public async Task<RecordHistory> HistoryAsync(CancellationToken ct)
    {
        await StateAsync(ct);
        return new RecordHistory(StateDataSource(), Config.State.Schema);
    }

    public SyncConfig FindSync(string name) =>
        Config.FindSync(name) ?? throw new ConfigException(null, $"no sync named '{name}' in {Config.FilePath}",
            NameSuggestions.Closest(name, Config.Syncs.Select(s => s.Name)) is { } closest
                ? $"did you mean '{closest}'?"
                : Config.Syncs.Count == 0 ? "the file declares no syncs" : $"syncs: {string.Join(", ", Config.Syncs.Select(s => s.Name))}");

    /// <summary>Builds a sync's source, destination and tuning from its config (no connection is opened).</summary>
    public SyncDefinition Build(SyncConfig sync)
    {
        var sourceConnection = Config.FindConnection(sync.SourceConnection)!;
        var destinationConnection = Config.FindConnection(sync.DestinationConnection)!;
        var source = Connector(sourceConnection).CreateSource(sync, sourceConnection, _resources);
        var destination = Connector(destinationConnection).CreateDestination(sync, destinationConnection, _resources);
        var writeBack = WriteBackOf(sync, sourceConnection);
        if (Core.Engine.TwoWay.TwoWayPairs.PairOf(Config, sync) is not null)
        {
            // The other direction may follow these writes through CDC: marked, they come back as Sluice's own.
            var origin = OwnWriteOrigin.For(sync.Name);
            (destination as IMarksOwnWrites)?.MarkOwnWrites(origin);
            (writeBack as IMarksOwnWrites)?.MarkOwnWrites(origin);
        }

        return new SyncDefinition(sync.Name, source, sync.Mapping, destination, Gate(destinationConnection), SyncOptions.Bind(sync))
        {
            DestinationConnection = destinationConnection.Name,
            WriteBack = writeBack,
            Processors = [.. ProcessorsOf(sync), .. LookupOf(sync), .. TwoWayOf(sync, destination)],
        };
    }

    /// <summary>The sync's direction of its two-way pair (<c>two_way:</c> on it or on the sync it is paired with), when it is in one.</summary>
    private IReadOnlyList<Core.Engine.Processing.IRecordProcessor> TwoWayOf(SyncConfig sync, IDestination destination) =>
        Core.Engine.TwoWay.TwoWayPairs.ProcessorFor(Config, sync, destination, new LazyPairedRecords(this)) is { } processor ? [processor] : [];

    /// <summary>Opens the state store (and its migrations) on the first read, as every other state read does.</summary>
    private sealed class LazyPairedRecords(SluiceWorkspace workspace) : IPairedRecordReader
    {
        public async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>>> ReadAsync(string pair, IReadOnlyCollection<string> links, CancellationToken ct)
        {
            await workspace.StateAsync(ct);
            return await new PostgresPairedRecords(workspace.StateDataSource(), workspace.Config.State.Schema).ReadAsync(pair, links, ct);
        }
    }

    /// <summary>The sync's <c>lookup:</c> (reference data joined to each batch by one query), when it has one.</summary>
    private IReadOnlyList<Core.Engine.Processing.IRecordProcessor> LookupOf(SyncConfig sync)
    {
        if (!sync.Section.Has("lookup"))
        {
            return [];
        }

        var section = sync.Section.GetSection("lookup")
            ?? throw new ConfigException(sync.Section.LocationOf("lookup"), "'lookup' is not a mapping", "write 'lookup: {connection: app, key: Email, sql: \"SELECT … WHERE email = ANY(@keys)\"}'");
        var name = section.RequireString("connection", "name the PostgreSQL connection the lookup queries, e.g. 'connection: app'");
        var connection = Config.FindConnection(name)
            ?? throw new ConfigException(section.LocationOf("connection"), $"lookup: no connection named '{name}'", $"connections: {string.Join(", ", Config.Connections.Select(c => c.Name))}");
        return Connector(connection) is ILookupConnector lookups
            ? [lookups.CreateLookup(sync, section, connection, _resources)]
            : throw new ConfigException(section.LocationOf("connection"), $"lookup: the connection '{name}' ({connection.Type}) cannot answer lookups", "look up in a PostgreSQL connection (type: postgres)");
    }

    /// <summary>The sync's <c>validate:</c> rules as a processor, each rule's lookup made by its reference connection's connector.</summary>
    private IReadOnlyList<Core.Engine.Processing.IRecordProcessor> ProcessorsOf(SyncConfig sync)
    {
        if (Core.Engine.Processing.Validation.ValidationOptions.Bind(sync) is not { } validation)
        {
            return [];
        }

        var lookups = new List<Core.Engine.Processing.IRecordLookup>();
        foreach (var rule in validation.Rules)
        {
            var reference = rule.ExistsIn;
            var connection = Config.FindConnection(reference.Connection)
                ?? throw new ConfigException(reference.Location, $"'exists_in' names connection '{reference.Connection}', which is not under 'connections:'",
                    $"name a PostgreSQL connection of this file ({string.Join(", ", Config.Connections.Where(c => Connector(c) is IReferenceLookups).Select(c => c.Name).DefaultIfEmpty("none yet"))}), or add '{reference.Connection}' under 'connections:'");
            if (Connector(connection) is not IReferenceLookups connector)
            {
                throw new ConfigException(reference.Location, $"'exists_in' names connection '{connection.Name}' ({connection.Type}), which holds no tables to look values up in",
                    "name a PostgreSQL connection's table and column, e.g. 'exists_in: app.public.users.id'");
            }

            lookups.Add(connector.CreateReferenceLookup(connection, reference, _resources));
        }

        return [new Core.Engine.Processing.Validation.ValidationProcessor(validation, lookups, Time)];
    }

    /// <summary>The sync's <c>write_back:</c> into its source connection, when it has one and the source's system can take it.</summary>
    private Core.Engine.WriteBack.IWriteBack? WriteBackOf(SyncConfig sync, ConnectionConfig sourceConnection)
    {
        if (Core.Engine.WriteBack.WriteBackOptions.Bind(sync) is not { } options)
        {
            return null;
        }

        return Connector(sourceConnection) is IWriteBackConnector connector
            ? connector.CreateWriteBack(sync, sourceConnection, options, _resources)
            : throw new ConfigException(options.Location, $"write_back: the source connection '{sourceConnection.Name}' ({sourceConnection.Type}) cannot take ids back",
                "write ids back only from a PostgreSQL source (a table, query or CDC source), or remove 'write_back:'");
    }

    /// <summary>
    /// When <c>sluice run</c> starts the sync: its <c>schedule:</c>, or, when it has none, <c>continuous</c> for a
    /// streaming source (CDC, the ingest queue) and <c>manual</c> otherwise.
    /// </summary>
    public async Task<Schedule> ScheduleOfAsync(SyncConfig sync)
    {
        var schedule = Schedule.Parse(sync);
        if (!schedule.IsManual || sync.Schedule is not null)
        {
            return schedule;
        }

        return await StreamsAsync(sync) ? Schedule.Continuous : schedule;
    }

    /// <summary>Whether the sync's source follows a stream (CDC, the ingest queue) rather than reading and ending.</summary>
    public async Task<bool> StreamsAsync(SyncConfig sync)
    {
        var connection = Config.FindConnection(sync.SourceConnection)!;
        await using var source = Connector(connection).CreateSource(sync, connection, _resources);
        return source.Streams;
    }

    public async Task<RunResult> RunAsync(string syncName, RunKind kind, ISyncObserver? observer, CancellationToken ct)
    {
        var sync = Build(FindSync(syncName));
        await using var source = sync.Source;
        await using var destination = sync.Destination;
        var state = await StateAsync(ct);
        return await new SyncRunner(state, Time, observer).RunAsync(sync, kind, ct);
    }

    /// <summary>
    /// What the sync's next run would send (<c>sluice plan</c>): its source is read and diffed, and every record
    /// encoded, against the stored checkpoint and fingerprints. Sends nothing; writes nothing to the state store
    /// (not even the migration of a fresh one: no state reads as a sync that never ran).
    /// </summary>
    public async Task<SyncPlan> PlanAsync(string syncName, int samples, CancellationToken ct)
    {
        var sync = Build(FindSync(syncName));
        await using var source = sync.Source;
        await using var destination = sync.Destination;
        return await new SyncPlanner(new PostgresSyncStateView(StateDataSource(), Config.State.Schema)).PlanAsync(sync, samples, ct);
    }

    /// <summary>
    /// The name a backfill of <paramref name="syncName"/> keeps its own checkpoint, run lock and run history
    /// under, so that it never moves the sync's live checkpoint and can run while the live sync runs.
    /// </summary>
    public static string BackfillStateName(string syncName) => syncName + "#backfill";

    /// <summary>
    /// Runs a definition already built (and adjusted, e.g. for a backfill) under a lease the caller already
    /// holds, so that what the caller checked under the lock still holds when the run starts. The run takes
    /// over the lease and releases it when it ends.
    /// </summary>
    public async Task<RunResult> RunAsync(SyncDefinition sync, RunKind kind, ISyncLease lease, ISyncObserver? observer, CancellationToken ct)
    {
        await using var source = sync.Source;
        await using var destination = sync.Destination;
        return await new SyncRunner(new HeldLease(lease), Time, observer).RunAsync(sync, kind, ct);
    }

    /// <summary>
    /// Everything about the config that holds or fails without connecting to anything: every connection's type is
    /// known, every ingest source has a write key of its own, and every sync's source, destination, modes and
    /// schedule are valid. <c>sluice check</c> and <c>sluice run</c> both start with it, so that check refuses
    /// (exit 2, the same message) whatever run would refuse to start with.
    /// </summary>
    public async Task ValidateAsync()
    {
        foreach (var connection in Config.Connections)
        {
            _ = Connector(connection);
        }

        // Routes are built, not served: building them validates what they need (each ingest source its own write key).
        foreach (var ingress in _connectors.Values.OfType<IHttpIngress>())
        {
            _ = ingress.Routes(Config, new HttpIngressContext(Time, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        }
        // Alerts are bound, not evaluated: a wrong key names the file, the key and the fix before anything runs.
        _ = Alerts.AlertOptions.AllOf(Config);
        _ = Notifications.NotifyOptions.Bind(Config);
        foreach (var sync in Config.Syncs)
        {
            var definition = Build(sync);
            await using var source = definition.Source;
            await using var destination = definition.Destination;
            SyncModes.Check(definition);
            await CheckScheduleAsync(sync, Schedule.Parse(sync), definition.Source);
        }
    }

    /// <summary>
    /// The syncs <c>after:</c> runs before <paramref name="syncName"/> (<c>sluice sync NAME --with-dependencies</c>),
    /// parents before their children; a parent that streams is refused, as <see cref="ValidateAsync"/> refuses it.
    /// </summary>
    public async Task<IReadOnlyList<string>> RunFirstAsync(string syncName)
    {
        FindSync(syncName);
        var order = Config.Dependencies.RunFirst(syncName);
        foreach (var child in order.Append(syncName).Select(FindSync))
        {
            foreach (var parent in child.After)
            {
                await RefuseStreamingParentAsync(child, FindSync(parent));
            }
        }

        return order;
    }

    /// <summary>
    /// What only the source can tell about a sync's schedule: a timed schedule (<c>every</c>, <c>cron</c>) on a source
    /// that streams would never start a run (its one run never ends), and a streaming sync is neither a parent nor a
    /// child in <c>after:</c>. Both were silently without effect before; now they are config errors.
    /// </summary>
    private async Task CheckScheduleAsync(SyncConfig sync, Schedule schedule, ISource source)
    {
        if (source.Streams && !source.MayPoll)
        {
            if (schedule.IsTimed)
            {
                throw new ConfigException(sync.Section.LocationOf("schedule"),
                    $"sync '{sync.Name}' streams ({source.Description}): it runs continuously, so {sync.Section.Show("schedule", $"'schedule: {sync.Schedule}'")} would never start a run",
                    $"remove 'schedule:' (a streaming sync runs continuously under `sluice run`), or write 'schedule: manual' to run it only with `sluice sync {sync.Name}`");
            }

            if (sync.After.Count > 0)
            {
                throw new ConfigException(sync.Section.LocationOf("after"),
                    $"sync '{sync.Name}' streams ({source.Description}): its one run never ends and is restarted only after a failure, so it has no runs for 'after:' to go before",
                    "remove 'after:' from it; a sync that reads and ends can be after other syncs");
            }
        }

        foreach (var parent in sync.After)
        {
            await RefuseStreamingParentAsync(sync, FindSync(parent));
        }
    }

    private async Task RefuseStreamingParentAsync(SyncConfig child, SyncConfig parent)
    {
        if (await StreamsAsync(parent))
        {
            throw new ConfigException(child.Section.LocationOf("after"),
                $"'after' names '{parent.Name}', which streams: its run never ends, so '{child.Name}' could never run after it",
                $"remove '{parent.Name}' from the 'after:' of '{child.Name}'; only syncs that read and end (tables, queries) can be parents");
        }
    }

    /// <summary>Checks every connection, then every sync's source and mapping; one line per item.</summary>
    public async Task<IReadOnlyList<CheckResult>> CheckAsync(CancellationToken ct)
    {
        var results = new List<CheckResult>();
        foreach (var connection in Config.Connections)
        {
            IReadOnlyList<string> info = [];
            var checkedConnection = await CheckOneAsync($"connection '{connection.Name}' ({connection.Type})", async () =>
            {
                var connector = Connector(connection);
                if (connector is IConnectionCheckInfo informative)
                {
                    info = await informative.CheckConnectionWithInfoAsync(connection, _resources, ct);
                }
                else
                {
                    await connector.CheckConnectionAsync(connection, _resources, ct);
                }
            });
            // Advice from the settings alone (plaintext beyond this machine), whether or not the connection answered.
            IReadOnlyList<string> advice = [];
            if (_connectors.GetValueOrDefault(connection.Type) is IConnectionAdvice advising)
            {
                try
                {
                    advice = advising.AdviseConnection(connection);
                }
                catch (SluiceException)
                {
                    // the settings are wrong: the connection's own line says so
                }
            }

            results.Add(checkedConnection with { Info = info, Advice = advice });
        }

        results.Add(await CheckOneAsync($"state store (schema {Config.State.Schema})", async () => await StateAsync(ct)));

        foreach (var sync in Config.Syncs)
        {
            IReadOnlyList<string> advice = [];
            var result = await CheckOneAsync($"sync '{sync.Name}'", async () =>
            {
                var definition = Build(sync);
                SyncModes.Check(definition);
                await using var source = definition.Source;
                await using var destination = definition.Destination;
                var schema = await source.DiscoverAsync(ct);
                var mapping = (await Core.Engine.Processing.ProcessorColumns.CompileAsync(sync.Mapping, schema, await DestinationShapes.ResolveAsync(destination, ct), definition.Processors, ct)).Mapping;
                // The destination's own check: a missing events table is reported with the DDL to run; a records
                // table's, with the CREATE TABLE typed from the mapping.
                if (destination is IDestinationMappingCheck mapped)
                {
                    await mapped.CheckMappingAsync(mapping, ct);
                }
                else
                {
                    await destination.CheckAsync(ct);
                }
                if (definition.WriteBack is { } writeBack)
                {
                    // A missing or unfit write-back column, or a table without a key to find rows by, named with its fix.
                    await writeBack.PrepareAsync(ct);
                }
                foreach (var validation in definition.Processors.OfType<Core.Engine.Processing.Validation.ValidationProcessor>())
                {
                    // A rule's table or column that is not there, named at its 'exists_in' with the fix.
                    await validation.CheckAsync(ct);
                }

                _ = Schedule.Parse(sync);
                advice = await source.AdviseAsync(ct);
            });
            results.Add(result with { Advice = advice });
        }

        return results;
    }

    public async ValueTask DisposeAsync()
    {
        if (_ingestQueue is not null)
        {
            await _ingestQueue.DisposeAsync();
        }

        foreach (var gate in _gates.Values)
        {
            await gate.DisposeAsync();
        }

        await _resources.DisposeAsync();
        _stateLock.Dispose();
    }

    private static async Task<CheckResult> CheckOneAsync(string what, Func<Task> check)
    {
        try
        {
            await check();
            return new CheckResult(what, null);
        }
        catch (SluiceException e)
        {
            return new CheckResult(what, e.Message) { IsConfigError = e is ConfigException || e.Class == ErrorClass.Config };
        }
    }

    private IConnector Connector(ConnectionConfig connection) =>
        _connectors.GetValueOrDefault(connection.Type) ?? throw new ConfigException(
            connection.Settings.LocationOf("type"),
            $"connection '{connection.Name}' has type {connection.Settings.Show("type", $"'{connection.Type}'")}, which Sluice does not know",
            NameSuggestions.Closest(connection.Type, _connectors.Keys) is { } closest
                ? $"did you mean '{closest}'?"
                : $"types: {string.Join(", ", _connectors.Keys)}");

    /// <summary>The rate budget of <paramref name="connection"/> that every send to it shares (syncs, replays, alerts).</summary>
    internal DeliveryGate Gate(ConnectionConfig connection)
    {
        lock (_gates)
        {
            if (!_gates.TryGetValue(connection.Name, out var gate))
            {
                // The budget lives in the state store, shared by every process using it; opened on the first send.
                var budgets = new LazyRateBudgetStore(async ct =>
                {
                    await StateAsync(ct);
                    return new PostgresRateBudgets(StateDataSource(), Config.State.Schema);
                });
                gate = new DeliveryGate(Connector(connection).RateLimit(connection), Time, budgets, connection.Name);
                _gates[connection.Name] = gate;
            }

            return gate;
        }
    }

    /// <summary>A store whose only lock is one already taken.</summary>
    private sealed class HeldLease(ISyncLease lease) : ISyncStateStore
    {
        public Task<ISyncLease?> TryAcquireAsync(string syncName, CancellationToken ct) =>
            Task.FromResult(syncName == lease.SyncName ? lease : null);
    }

    /// <summary>
    /// The state database, through the connection <see cref="SluiceConfig.StateConnection"/> resolved at load (the one
    /// place that rule lives); the data source is shared with every other user of that connection.
    /// </summary>
    private Npgsql.NpgsqlDataSource StateDataSource()
    {
        var connection = Config.StateConnection ?? throw new ConfigException(
            Config.State.Location, "there is no postgres connection to keep Sluice's state in", "declare one under 'connections:' and, optionally, name it in 'state: {connection: …}'");
        var (_, dataSource) = PostgresConnector.Open(connection, _resources);
        return dataSource;
    }
}
