using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Postgres;
using Sluice.Postgres.Cdc;
using Sluice.State;
using Sluice.State.Ingest;

namespace Sluice.Server.Metrics;

/// <summary>
/// Reads what <c>sluice status</c>, <c>sluice prune</c> and <c>/metrics</c> show: each sync's progress from the state
/// store, each CDC sync's slot from its source database, and the Sluice slots and publications no sync claims. Only
/// reads; holds one small data source per PostgreSQL connection of the config.
/// </summary>
public sealed class SyncHealthCollector : IAsyncDisposable
{
    private readonly SluiceConfig _config;
    private readonly TimeProvider _time;
    private readonly SlotHealthTracker? _tracker;
    private readonly Dictionary<string, NpgsqlDataSource> _dataSources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SlotHealthOptions> _cdc = new(StringComparer.Ordinal);

    /// <param name="tracker">Remembers slots across calls (a long-running server); null for a one-off look.</param>
    public SyncHealthCollector(SluiceConfig config, TimeProvider time, SlotHealthTracker? tracker = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _time = time;
        _tracker = tracker;
        foreach (var sync in config.Syncs)
        {
            if (SlotHealthOptions.For(sync) is { } options)
            {
                _cdc[sync.Name] = options;
            }
        }
    }

    /// <summary>Every slot and publication name a sync of the config uses: never an orphan, whatever its name.</summary>
    public IReadOnlySet<string> InUse => _cdc.Values.SelectMany(o => new[] { o.Slot, o.Publication }).ToHashSet(StringComparer.Ordinal);

    public async Task<SyncHealthSnapshot> CollectAsync(CancellationToken ct)
    {
        var progress = await ReadProgressAsync(ct);
        var statuses = await ReadStatusAsync(ct);
        var backlogs = await ReadIngestBacklogAsync(ct);
        var now = _time.GetUtcNow();
        var slots = new Dictionary<string, (IReadOnlyList<SlotHealthSample>? Samples, string? Problem)>(StringComparer.Ordinal);
        foreach (var group in _cdc.Values.GroupBy(o => _config.FindSync(o.Sync)!.SourceConnection))
        {
            try
            {
                slots[group.Key] = (await SlotHealth.SampleAsync(DataSource(group.Key), group.Select(o => o.Slot).ToList(), ct), null);
            }
            catch (SluiceException e)
            {
                slots[group.Key] = (null, e.Message);
            }
        }

        var syncs = new List<SyncHealth>();
        foreach (var sync in _config.Syncs)
        {
            var known = progress.GetValueOrDefault(sync.Name);
            var schedule = sync.Schedule ?? (_cdc.ContainsKey(sync.Name) || ReadsIngest(sync) ? "continuous" : "manual");
            SyncHealth health;
            if (!_cdc.TryGetValue(sync.Name, out var options))
            {
                health = new SyncHealth(sync.Name, schedule, known, null, null);
            }
            else if (slots[sync.SourceConnection] is (null, var problem))
            {
                health = new SyncHealth(sync.Name, schedule, known, null, problem);
            }
            else
            {
                var sample = slots[sync.SourceConnection].Samples!.FirstOrDefault(s => s.Slot == options.Slot);
                var since = sample is not null && _tracker is not null ? _tracker.Observe(sync.SourceConnection, sample) : (DateTimeOffset?)null;
                health = new SyncHealth(sync.Name, schedule, known, SlotHealth.Judge(options, sample, known, since, now), null);
            }

            syncs.Add(health with { Status = statuses.GetValueOrDefault(sync.Name), Ingest = backlogs.GetValueOrDefault(sync.Name), At = now });
        }

        var (orphans, problems) = await FindOrphansAsync(ct);
        return new SyncHealthSnapshot(now, syncs, orphans, problems);
    }

    /// <summary>
    /// Sluice's slots and publications that no sync of the config claims, in every PostgreSQL database the config
    /// connects to (a removed sync's database may be used by no other CDC sync); a database that cannot be reached
    /// is a problem line, not a failure.
    /// </summary>
    public async Task<(IReadOnlyList<OrphanedCdcObject> Orphans, IReadOnlyList<string> Problems)> FindOrphansAsync(CancellationToken ct)
    {
        var orphans = new List<OrphanedCdcObject>();
        var problems = new List<string>();
        var inUse = InUse;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var connection in _config.Connections.Where(c => c.Type == "postgres"))
        {
            var dataSource = DataSource(connection.Name);
            var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
            if (!seen.Add($"{builder.Host}:{builder.Port}/{builder.Database}"))
            {
                continue; // two names for one database
            }

            try
            {
                orphans.AddRange((await SlotPruner.FindOrphansAsync(dataSource, inUse, ct)).Select(o => new OrphanedCdcObject(connection.Name, o)));
            }
            catch (SluiceException e)
            {
                problems.Add($"connection '{connection.Name}': {e.Message}");
            }
        }

        return (orphans, problems);
    }

    /// <summary>Drops one orphan found by <see cref="FindOrphansAsync"/>.</summary>
    public Task<SlotPruner.PruneOutcome> DropAsync(OrphanedCdcObject orphan, bool force, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(orphan);
        return SlotPruner.DropAsync(DataSource(orphan.Connection), orphan.Orphan, force, ct);
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
    private bool ReadsIngest(SyncConfig sync) => _config.FindConnection(sync.SourceConnection)?.Type == IngestConnector.ConnectorType;

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
