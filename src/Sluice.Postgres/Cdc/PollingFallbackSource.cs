using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Postgres.Sources;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// <c>cdc: {fallback: poll}</c>: a CDC sync that, where the server cannot do logical replication (<c>wal_level</c>
/// below logical, a role without REPLICATION), runs the same definition as a polling source instead, a cursor
/// <see cref="TableSource"/> when the source names a <c>cursor:</c>, else a <see cref="QuerySource"/> diffing the
/// table, and says so. The choice is made once, on the first check or discovery, and every member then goes to the
/// chosen source.
/// </summary>
/// <remarks>
/// Until the choice is made, <see cref="Detects"/> is what both sources can tell apart, so that a sync's mode is
/// only accepted when it works either way.
/// </remarks>
public sealed class PollingFallbackSource : ISource
{
    private readonly string _syncName;
    private readonly NpgsqlDataSource _dataSource;
    private readonly ISource _cdc;
    private readonly ISource _polling;
    private readonly string _pollingHow;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ISource? _chosen;

    /// <param name="pollingHow">How the polling source reads, for the notice: <c>public.accounts by diff</c>.</param>
    public PollingFallbackSource(string syncName, NpgsqlDataSource dataSource, Func<ISource> cdc, Func<ISource> polling, string pollingHow)
    {
        ArgumentNullException.ThrowIfNull(cdc);
        ArgumentNullException.ThrowIfNull(polling);
        _syncName = syncName;
        _dataSource = dataSource;
        _pollingHow = pollingHow;
        _cdc = cdc();
        _polling = polling();
    }

    /// <summary>The notice given when the sync polls instead, e.g. <c>sync 'x': logical replication unavailable (wal_level is replica); polling public.accounts by diff instead</c>; null while it uses CDC.</summary>
    public string? Notice { get; private set; }

    /// <summary>Whether the choice fell on polling (after the first check or discovery).</summary>
    public bool Polling => _chosen is not null && ReferenceEquals(_chosen, _polling);

    public string Description => Notice is null ? (_chosen ?? _cdc).Description : $"{_polling.Description}, polled (logical replication unavailable)";

    public ChangeKinds Detects => _chosen?.Detects ?? (_cdc.Detects & _polling.Detects);

    public SourceDiff? Diff => (_chosen ?? _cdc).Diff;

    public bool Streams => (_chosen ?? _cdc).Streams;

    public bool MayPoll => true;

    /// <summary>
    /// The CDC source itself when <c>cdc.fallback</c> is not <c>poll</c>; otherwise the fallback around it. Reads the
    /// polling keys (<c>cursor</c>, <c>key</c>, <c>filter</c>, <c>page_size</c>) and <c>cdc.fallback</c> before the
    /// CDC source binds its options, so that its unknown-key check accepts them.
    /// </summary>
    public static ISource Create(SyncConfig sync, NpgsqlDataSource dataSource, PostgresConnectionOptions connection, Func<ISource> cdc)
    {
        ArgumentNullException.ThrowIfNull(sync);
        ArgumentNullException.ThrowIfNull(cdc);
        var source = sync.Source;
        var (_, section) = SlotHealthOptions.ReadCdc(source);
        var fallback = section?.GetString("fallback");
        _ = SlotHealthOptions.For(sync); // marks max_lag, max_lag_time, stall_after as read
        var hasCursor = source.Has("cursor");
        foreach (var pollingKey in new[] { "key", "filter", "page_size" })
        {
            _ = source.Has(pollingKey);
        }

        if (fallback is null or "none")
        {
            return cdc();
        }

        if (fallback != "poll")
        {
            throw new ConfigException(section!.LocationOf("fallback"), $"'fallback' must be poll or none, not {section.Show("fallback")}",
                "write 'fallback: poll' to poll the table where logical replication is unavailable, or leave it out to fail instead");
        }

        if (!source.Has("table"))
        {
            throw new ConfigException(source.LocationOf("tables"), "'fallback: poll' polls one table, and this source names none with 'table:'",
                "name the one table with 'table: schema.name', or remove 'fallback: poll' (a multi-table CDC sync has no polling equivalent)");
        }

        var table = source.GetString("table")!;
        var how = hasCursor ? $"{table} by cursor {source.GetString("cursor")}" : $"{table} by diff";
        return new PollingFallbackSource(sync.Name, dataSource, cdc, () => hasCursor
            ? new TableSource(dataSource, connection, TableSourceOptions.Bind(source))
            : new QuerySource(dataSource, connection, QuerySourceOptions.Bind(source)), how);
    }

    public async Task CheckAsync(CancellationToken ct) => await (await ChooseAsync(ct)).CheckAsync(ct);

    public async Task<IReadOnlyList<string>> AdviseAsync(CancellationToken ct)
    {
        var chosen = await ChooseAsync(ct);
        var advice = await chosen.AdviseAsync(ct);
        return Notice is null ? advice : [Notice, .. advice];
    }

    public async Task<SourceSchema> DiscoverAsync(CancellationToken ct) => await (await ChooseAsync(ct)).DiscoverAsync(ct);

    public async Task<long?> EstimateAsync(ReadRequest request, CancellationToken ct) => await (await ChooseAsync(ct)).EstimateAsync(request, ct);

    public async IAsyncEnumerable<Change> ReadAsync(ReadRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var chosen = await ChooseAsync(ct);
        await foreach (var change in chosen.ReadAsync(request, ct))
        {
            yield return change;
        }
    }

    public ValueTask CommittedAsync(Checkpoint checkpoint, CancellationToken ct) => (_chosen ?? _cdc).CommittedAsync(checkpoint, ct);

    public async ValueTask DisposeAsync()
    {
        await _cdc.DisposeAsync();
        await _polling.DisposeAsync();
        _gate.Dispose();
    }

    private async Task<ISource> ChooseAsync(CancellationToken ct)
    {
        if (_chosen is { } chosen)
        {
            return chosen;
        }

        await _gate.WaitAsync(ct);
        try
        {
            if (_chosen is null)
            {
                var readiness = await CdcPreflight.InspectAsync(_dataSource, [], slot: null, publication: null, ct);
                if (readiness.LogicalReplicationAvailable)
                {
                    _chosen = _cdc;
                }
                else
                {
                    var why = readiness.WalLevel != "logical" ? $"wal_level is {readiness.WalLevel}" : $"role '{readiness.Role}' lacks REPLICATION";
                    Notice = $"sync '{_syncName}': logical replication unavailable ({why}); polling {_pollingHow} instead";
                    _chosen = _polling;
                }
            }

            return _chosen;
        }
        finally
        {
            _gate.Release();
        }
    }
}
