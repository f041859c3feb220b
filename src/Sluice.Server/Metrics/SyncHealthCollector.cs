using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Postgres;
using Sluice.Server.Hosting;
using Sluice.State;
using Sluice.State.Ingest;

namespace Sluice.Server.Metrics;

/// <summary>
/// Reads what <c>sluice status</c> and <c>/metrics</c> show: each sync's progress from the state store, and what the
/// config's connectors watch (<see cref="IHealthReporting"/>: a CDC sync's slot, a slot no sync claims). Only reads;
/// holds the connectors' shared resources (one small data source per connection) until disposed.
/// </summary>
public sealed class SyncHealthCollector : IAsyncDisposable
{
    private readonly SluiceConfig _config;
    private readonly TimeProvider _time;
    private readonly bool _watching;
    private readonly IReadOnlyList<IHealthReporting> _reporters;
    private readonly IReadOnlyDictionary<string, IConnector> _connectors;
    private readonly ConnectorResources _resources;
    private readonly Dictionary<string, NpgsqlDataSource> _dataSources = new(StringComparer.Ordinal);

    /// <param name="watching">Whether the caller reads again and again (a long-running server), so that connectors may remember between readings.</param>
    /// <param name="connectors">The connectors to ask; <see cref="SluiceWorkspace.DefaultConnectors"/> when null.</param>
    public SyncHealthCollector(SluiceConfig config, TimeProvider time, bool watching = false, IEnumerable<IConnector>? connectors = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _time = time;
        _watching = watching;
        var known = (connectors ?? [.. SluiceWorkspace.DefaultConnectors(), .. SluiceWorkspace.StateStoreConnectors(OpenStateAsync)]).ToList();
        _reporters = [.. known.OfType<IHealthReporting>()];
        _connectors = known.DistinctBy(c => c.Type).ToDictionary(c => c.Type, StringComparer.Ordinal);
        _resources = new ConnectorResources(time);
        if (!config.HasSecrets)
        {
            // ${secret:NAME} in a connection this collector opens (docs/secrets.md); a workspace's own resolver comes first.
            config.UseSecrets(Sluice.State.Secrets.StateSecretResolver.For(config, () => State()?.DataSource
                ?? throw new ConfigException(null, $"{config.FilePath} declares no postgres connection to keep secrets in", "declare one under 'connections:'")));
        }
    }

    /// <summary>Every series the connectors' health lines may fill.</summary>
    public IReadOnlyList<HealthMetric> Metrics => [.. _reporters.SelectMany(r => r.HealthMetrics).DistinctBy(m => m.Name)];

    public async Task<SyncHealthSnapshot> CollectAsync(CancellationToken ct)
    {
        var progress = await ReadProgressAsync(ct);
        var statuses = await ReadStatusAsync(ct);
        var backlogs = await ReadIngestBacklogAsync(ct);
        var now = _time.GetUtcNow();
        var request = new HealthRequest(
            _config,
            progress.ToDictionary(p => p.Key, p => new HealthSyncProgress(p.Value.LastSuccessAt, p.Value.CheckpointUpdatedAt), StringComparer.Ordinal),
            _watching);
        var reports = new List<HealthReport>();
        var syncProblems = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var reporter in _reporters)
        {
            var reading = await reporter.ReadHealthAsync(request, _resources, ct);
            reports.AddRange(reading.Reports);
            problems.AddRange(reading.Problems);
            foreach (var (sync, problem) in reading.SyncProblems)
            {
                syncProblems[sync] = problem;
            }
        }

        var bySync = reports.Where(r => r.Sync is not null).ToDictionary(r => r.Sync!, StringComparer.Ordinal);
        var syncs = new List<SyncHealth>();
        foreach (var sync in _config.Syncs)
        {
            var watched = bySync.ContainsKey(sync.Name) || syncProblems.ContainsKey(sync.Name);
            var schedule = sync.Schedule ?? (watched || ReadsIngest(sync) ? "continuous" : "manual");
            var health = new SyncHealth(sync.Name, schedule, progress.GetValueOrDefault(sync.Name), bySync.GetValueOrDefault(sync.Name), syncProblems.GetValueOrDefault(sync.Name));
            syncs.Add(health with { Status = statuses.GetValueOrDefault(sync.Name), Ingest = backlogs.GetValueOrDefault(sync.Name), At = now, Attention = sync.Attention });
        }

        return new SyncHealthSnapshot(now, syncs, [.. reports.Where(r => r.Sync is null)], problems) { Metrics = Metrics };
    }

    /// <summary>The state store's connection and schema (as <see cref="Hosting.SluiceWorkspace"/> resolves them).</summary>
    public (NpgsqlDataSource DataSource, string Schema)? State() =>
        StateConnectionName() is { } name ? (DataSource(name), _config.State.Schema) : null;

    public async ValueTask DisposeAsync()
    {
        foreach (var dataSource in _dataSources.Values)
        {
            await dataSource.DisposeAsync();
        }

        await _resources.DisposeAsync();
    }

    private async Task<IReadOnlyDictionary<string, SlotHealthSyncProgress>> ReadProgressAsync(CancellationToken ct) =>
        State() is { } state
            ? await SlotHealthSyncProgress.ReadAsync(state.DataSource, state.Schema, ct)
            : new Dictionary<string, SlotHealthSyncProgress>();

    private async Task<IReadOnlyDictionary<string, SyncStatus>> ReadStatusAsync(CancellationToken ct) =>
        State() is { } state
            ? (await new PostgresSyncStateView(state.DataSource, state.Schema).StatusAsync(ct)).ToDictionary(s => s.Name, StringComparer.Ordinal)
            : new Dictionary<string, SyncStatus>();

    /// <summary>The backlog of every sync that reads an ingest source (whose queue lives in the state store).</summary>
    private async Task<IReadOnlyDictionary<string, IngestBacklog>> ReadIngestBacklogAsync(CancellationToken ct)
    {
        var readers = _config.Syncs.Where(ReadsIngest).Select(s => (s.Name, s.SourceConnection)).ToList();
        return readers.Count > 0 && State() is { } state
            ? (await IngestBacklog.ReadAsync(state.DataSource, state.Schema, readers, ct)).ToDictionary(b => b.Sync, StringComparer.Ordinal)
            : new Dictionary<string, IngestBacklog>();
    }

    /// <summary>Whether the sync reads an ingest source: a stream, continuous unless its schedule says otherwise.</summary>
    private bool ReadsIngest(SyncConfig sync) =>
        _config.FindConnection(sync.SourceConnection) is { } source
        && _connectors.GetValueOrDefault(source.Type) is IBacklogReporting backlog && backlog.HasBacklog(sync, source);

    /// <summary>The state store for the connectors that live in it; this collector only reads, so nothing is migrated.</summary>
    private Task<(NpgsqlDataSource DataSource, string Schema)> OpenStateAsync(CancellationToken ct) =>
        Task.FromResult(State() ?? throw new ConfigException(null, $"{_config.FilePath} declares no postgres connection to keep Sluice's state in", "declare one under 'connections:'"));

    private string? StateConnectionName() =>
        _config.StateConnection?.Name;

    private NpgsqlDataSource DataSource(string connection)
    {
        lock (_dataSources)
        {
            if (!_dataSources.TryGetValue(connection, out var dataSource))
            {
                var config = _config.FindConnection(connection) ?? throw new ConfigException(null, $"no connection named '{connection}' in {_config.FilePath}");
                dataSource = PostgresConnectionOptions.Bind(config).CreateDataSource();
                _dataSources[connection] = dataSource;
            }

            return dataSource;
        }
    }
}
