using Sluice.Core.Configuration;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// A source that follows tables through PostgreSQL's write-ahead log (logical replication, <c>pgoutput</c>):
/// <c>table: public.accounts</c> (or <c>tables: [a, b]</c>) with <c>cdc: true</c> or
/// <c>cdc: {start: snapshot|now, slot: name, publication: name, heartbeat: 10s}</c>.
/// </summary>
internal sealed class CdcSourceOptions
{
    /// <summary>The tables followed (<c>schema.table</c>, or a table in the connection's schema); every one has the mapped columns.</summary>
    public required IReadOnlyList<string> Tables { get; init; }

    /// <summary>Where a new sync begins. Default <see cref="CdcStart.Snapshot"/>: current rows first.</summary>
    public CdcStart Start { get; init; } = CdcStart.Snapshot;

    /// <summary>The replication slot; Sluice's own (<c>sluice_</c> and the sync's name) unless <see cref="SlotNamed"/>.</summary>
    public required string Slot { get; init; }

    /// <summary>Whether the user named the slot: Sluice then never drops it (except to restart a copy it began with it).</summary>
    public bool SlotNamed { get; init; }

    /// <summary>The publication; Sluice's own (created and kept in step with <see cref="Tables"/>) unless <see cref="PublicationNamed"/>.</summary>
    public required string Publication { get; init; }

    /// <summary>Whether the user named an existing publication: Sluice only checks that it covers the tables.</summary>
    public bool PublicationNamed { get; init; }

    /// <summary>
    /// How often an idle sync writes a tiny WAL record and confirms its position, so that the slot of a database with no
    /// traffic on these tables still advances and does not hold WAL. Default 10 s.
    /// </summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Columns whose old values the destination compares (a Segment <c>transition:</c>), known before the first read so
    /// that <c>sluice check</c> can say which tables need REPLICA IDENTITY FULL. The engine passes the same at read time.
    /// </summary>
    public IReadOnlyList<string> Watched { get; init; } = [];

    /// <summary>The YAML section, for errors that point at a line.</summary>
    public ConfigSection? Config { get; init; }

    /// <summary>The same options following <paramref name="tables"/> instead (a model's tables, once resolved).</summary>
    public CdcSourceOptions Following(IReadOnlyList<string> tables) => new()
    {
        Tables = tables,
        Start = Start,
        Slot = Slot,
        SlotNamed = SlotNamed,
        Publication = Publication,
        PublicationNamed = PublicationNamed,
        Heartbeat = Heartbeat,
        Watched = Watched,
        Config = Config,
    };

    /// <summary>Whether a sync's source asks for CDC (<c>cdc: true</c> or a <c>cdc:</c> mapping).</summary>
    public static bool IsRequested(ConfigSection source)
    {
        if (!source.Has("cdc"))
        {
            return false;
        }

        return CdcSection(source) is not null || source.GetBool("cdc") == true;
    }

    public static CdcSourceOptions Bind(SyncConfig sync)
    {
        var source = sync.Source;
        var single = source.GetString("table");
        var several = source.GetStringList("tables");
        if (single is not null && several is not null)
        {
            throw new ConfigException(source.LocationOf("tables"), "the source has both 'table:' and 'tables:'", "keep one: 'table: public.accounts' or 'tables: [public.accounts, public.users]'");
        }

        var tables = several ?? (single is not null ? new[] { single } : null)
            ?? throw new ConfigException(source.LocationOf("table"), "a cdc source names no table", "name the table it follows, e.g. 'table: public.accounts' (or 'tables: [a, b]')");
        var duplicate = tables.GroupBy(t => t, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ConfigException(source.LocationOf("tables"), $"table '{duplicate.Key}' is listed twice", "list each table once");
        }

        // With 'fallback: poll', cursor, filter and key describe how the table is polled where the WAL cannot be read.
        var pollsInstead = CdcSection(source)?.GetString("fallback") == "poll";
        foreach (var (key, why) in new[] { ("query", "a cdc source follows tables, not a query"), ("cursor", "a cdc source reads the WAL, not a cursor"), ("filter", "a cdc source sends every row of its tables"), ("key", "a cdc source identifies rows by the table's primary key") })
        {
            if (source.Has(key) && !(pollsInstead && key is "cursor" or "filter" or "key"))
            {
                throw new ConfigException(source.LocationOf(key), $"'{key}' does not apply: {why}", $"remove '{key}', or remove 'cdc:' to read the table by cursor or by diffing");
            }
        }

        // The destination's transition (Segment's 'transition: {column: …}'); its own binder validates the rest.
        var watched = sync.Destination.GetSection("transition")?.GetString("column") is { } column ? new[] { column } : [];
        var options = Follow(sync, tables, watched);
        source.RejectUnknownKeys(["connection"]);
        return options;
    }

    /// <summary>
    /// The <c>cdc:</c> keys of <paramref name="sync"/>'s source (slot, publication, start, heartbeat and the guard rails)
    /// for following <paramref name="tables"/>: a table source's, or a model's (its primary and secondary tables), with
    /// <paramref name="watched"/> the columns whose old values the destination compares (see <see cref="Watched"/>).
    /// </summary>
    public static CdcSourceOptions Follow(SyncConfig sync, IReadOnlyList<string> tables, IReadOnlyList<string> watched)
    {
        ArgumentNullException.ThrowIfNull(sync);
        var source = sync.Source;
        var cdc = CdcSection(source);
        var slot = cdc?.GetString("slot");
        var publication = cdc?.GetString("publication");
        var heartbeat = cdc?.GetDuration("heartbeat");
        if (heartbeat is { } beat && beat < TimeSpan.FromMilliseconds(100))
        {
            throw new ConfigException(cdc!.LocationOf("heartbeat"), "'heartbeat' is shorter than 100ms", "write e.g. 'heartbeat: 10s'");
        }

        var options = new CdcSourceOptions
        {
            Tables = tables,
            Start = cdc?.GetEnum<CdcStart>("start") ?? CdcStart.Snapshot,
            Slot = slot ?? CdcNames.SlotFor(sync.Name),
            SlotNamed = slot is not null,
            Publication = publication ?? CdcNames.PublicationFor(sync.Name),
            PublicationNamed = publication is not null,
            Heartbeat = heartbeat ?? TimeSpan.FromSeconds(10),
            Watched = watched,
            Config = source,
        };
        ValidateName(cdc, "slot", slot);
        ValidateName(cdc, "publication", publication);
        _ = SlotHealthOptions.For(sync); // the guard-rail keys (max_lag, max_lag_time, stall_after, fallback) are cdc keys too
        cdc?.RejectUnknownKeys();
        return options;
    }

    /// <summary>The <c>cdc:</c> mapping, or null for <c>cdc: true</c>.</summary>
    internal static ConfigSection? CdcSection(ConfigSection source)
    {
        try
        {
            return source.GetSection("cdc");
        }
        catch (ConfigException)
        {
            // A single value (cdc: true): the section has no public way to ask a value's shape first.
            return null;
        }
    }

    private static void ValidateName(ConfigSection? cdc, string key, string? name)
    {
        // Slot names are lower-case letters, digits and underscores (PostgreSQL's rule), at most 63 bytes.
        if (name is not null && (name.Length is 0 or > 63 || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_')))
        {
            throw new ConfigException(cdc!.LocationOf(key), $"'{key}' must be at most 63 lower-case letters, digits and underscores, not {cdc.Show(key)}",
                $"name an existing {key}, e.g. '{key}: app_{key}'");
        }
    }
}
