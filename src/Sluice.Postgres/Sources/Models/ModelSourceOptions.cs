using Sluice.Core.Configuration;
using Sluice.Postgres.Cdc;

namespace Sluice.Postgres.Sources.Models;

/// <summary>
/// A model (G2): records defined by a primary table and its key, with properties that are its columns or aggregates of
/// secondary tables joined by a foreign key (<c>source: {model: {table, key, cursor, cursors, properties}}</c>).
/// </summary>
internal sealed class ModelSourceOptions
{
    /// <summary>The primary table, <c>schema.table</c> or a table in the connection's schema.</summary>
    public required string Table { get; init; }

    /// <summary>The record key, one column; <c>null</c>: the primary table's one-column primary key.</summary>
    public string? Key { get; init; }

    /// <summary>
    /// The primary table's high-watermark column; with <see cref="Cursors"/> for every secondary table, a run recomputes
    /// only the records a row changed since the checkpoint. Without any cursor every run reads every record.
    /// </summary>
    public string? Cursor { get; init; }

    /// <summary>Each secondary table's high-watermark column, by the table as <c>from:</c> names it.</summary>
    public IReadOnlyDictionary<string, string> Cursors { get; init; } = new Dictionary<string, string>();

    /// <summary>A SQL condition the primary table's rows meet to be records, e.g. <c>deleted_at IS NULL</c>.</summary>
    public string? Filter { get; init; }

    /// <summary>The properties, in the order written.</summary>
    public required IReadOnlyList<ModelProperty> Properties { get; init; }

    /// <summary>Records computed per statement when only some are recomputed. Default 1,000.</summary>
    public int BatchSize { get; init; } = 1000;

    /// <summary><c>reconcile: every …</c> of the sync: how often a run reads every record instead; <c>null</c>: never by itself.</summary>
    public TimeSpan? Reconcile { get; init; }

    /// <summary>
    /// With <c>cdc:</c> next to <c>model:</c>: the replication slot and publication that follow the model's tables, whose
    /// changes give the records to recompute (<see cref="ModelCdcSource"/>). <c>null</c>: the model follows cursors, or
    /// reads every record.
    /// </summary>
    public CdcSourceOptions? Cdc { get; init; }

    /// <summary>The <c>model:</c> section, for errors that point at a line.</summary>
    public ConfigSection? Config { get; init; }

    /// <summary>Whether the model follows cursors: the primary's and every secondary table's.</summary>
    public bool FollowsCursors => Cursor is not null;

    /// <summary>Whether the sync's source is a model (<c>model:</c>).</summary>
    public static bool IsRequested(ConfigSection source) => source.Has("model");

    /// <summary>Reads <c>source.model</c> and the sync's <c>reconcile:</c>.</summary>
    public static ModelSourceOptions Bind(SyncConfig sync)
    {
        ArgumentNullException.ThrowIfNull(sync);
        var source = sync.Source;
        foreach (var other in new[] { "table", "query", "cursor" })
        {
            if (source.Has(other))
            {
                throw new ConfigException(source.LocationOf(other), $"the source has both 'model:' and '{other}:'",
                    $"move '{other}:' into 'model:' (a model names its primary table with 'model.table'), or remove 'model:'");
            }
        }

        var model = source.RequireSection("model", "describe the model: 'model: {table: public.customers, key: id, properties: {…}}'");
        var table = model.RequireString("table", "name the primary table, e.g. 'table: public.customers'");
        var properties = BindProperties(model);
        var cursors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (model.GetSection("cursors") is { } section)
        {
            foreach (var name in section.Keys)
            {
                cursors[name] = section.RequireString(name, $"name the column of {name} that grows on every change, e.g. '{name}: updated_at'");
            }
        }

        var options = new ModelSourceOptions
        {
            Table = table,
            Key = model.GetString("key"),
            Cursor = model.GetString("cursor"),
            Cursors = cursors,
            Filter = model.GetString("filter"),
            Properties = properties,
            BatchSize = model.GetInt("batch_size", 1, 100_000) ?? 1000,
            Reconcile = Core.Configuration.Reconcile.Parse(sync),
            Config = model,
        };
        if (CdcSourceOptions.IsRequested(source))
        {
            options = FollowByCdc(sync, options, model);
        }
        else
        {
            CheckCursors(options, model);
        }

        if (options.Filter is { } filter)
        {
            ModelFilter.Check(filter, model.LocationOf("filter"));
        }

        model.RejectUnknownKeys();
        source.RejectUnknownKeys(["connection"]);
        return options;
    }

    private static List<ModelProperty> BindProperties(ConfigSection model)
    {
        var section = model.RequireSection("properties", "list the record's properties, e.g. 'properties: {email: {column: email}}'");
        var properties = new List<ModelProperty>();
        foreach (var name in section.Keys)
        {
            var property = section.RequireSection(name, $"describe '{name}', e.g. '{name}: {{column: {name}}}' or '{name}: {{from: public.orders, foreign_key: customer_id, aggregate: count}}'");
            properties.Add(BindProperty(name, property));
        }

        return properties;
    }

    private static ModelProperty BindProperty(string name, ConfigSection section)
    {
        var from = section.GetString("from");
        var aggregate = section.GetEnum<ModelAggregate>("aggregate") ?? ModelAggregate.Exact;
        var column = section.GetString("column");
        var foreignKey = section.GetString("foreign_key");
        var where = section.GetString("where");
        var orderBy = section.GetString("order_by");
        if (from is null)
        {
            if (aggregate != ModelAggregate.Exact || foreignKey is not null || where is not null || orderBy is not null)
            {
                throw new ConfigException(section.LocationOf(section.Has("aggregate") ? "aggregate" : section.Has("foreign_key") ? "foreign_key" : section.Has("where") ? "where" : "order_by"),
                    $"property '{name}' aggregates without 'from:': a record has one row of its primary table",
                    $"name the secondary table and how it joins: 'from: public.orders, foreign_key: customer_id'");
            }

            if (column is null)
            {
                throw new ConfigException(section.Location, $"property '{name}' names no column", $"write '{name}: {{column: {name}}}'");
            }
        }
        else
        {
            if (foreignKey is null)
            {
                throw new ConfigException(section.LocationOf("from"), $"property '{name}' reads {from} but not how its rows belong to a record",
                    "name the column that holds the record's key: 'foreign_key: customer_id'");
            }

            if (column is null && aggregate != ModelAggregate.Count)
            {
                throw new ConfigException(section.LocationOf(section.Has("aggregate") ? "aggregate" : "from"), $"property '{name}' names no column of {from}",
                    "add 'column:' (only 'aggregate: count' counts rows without one)");
            }

            if (aggregate is ModelAggregate.MostRecent or ModelAggregate.LeastRecent && orderBy is null)
            {
                throw new ConfigException(section.LocationOf("aggregate"), $"property '{name}' takes the {(aggregate == ModelAggregate.MostRecent ? "most" : "least")} recent row but not by what",
                    "name the column that orders the rows: 'order_by: created_at'");
            }

            if (orderBy is not null && aggregate is not (ModelAggregate.MostRecent or ModelAggregate.LeastRecent))
            {
                throw new ConfigException(section.LocationOf("order_by"), $"'order_by' is for 'aggregate: most_recent' or 'least_recent', not {section.Show("aggregate", aggregate.ToString())}",
                    "remove 'order_by:', or use one of those aggregates");
            }

            if (where is not null)
            {
                ModelFilter.Check(where, section.LocationOf("where"));
            }
        }

        section.RejectUnknownKeys();
        return new ModelProperty(name, aggregate)
        {
            From = from,
            ForeignKey = foreignKey,
            Column = column,
            Where = where,
            OrderBy = orderBy,
            Config = section,
        };
    }

    /// <summary>
    /// A model over a CDC stream: its tables' changes say which records to recompute, so cursors and a reconcile have
    /// nothing left to do; it starts from a read of every record in the slot's snapshot (<c>start: snapshot</c>).
    /// </summary>
    private static ModelSourceOptions FollowByCdc(SyncConfig sync, ModelSourceOptions options, ConfigSection model)
    {
        var source = sync.Source;
        foreach (var key in new[] { "cursor", "cursors" })
        {
            if (model.Has(key))
            {
                throw new ConfigException(model.LocationOf(key), $"'{key}' does not apply to a model that follows its tables by CDC: the WAL says which rows changed, deletes included",
                    $"remove '{key}', or remove 'cdc:' to follow the model by cursors");
            }
        }

        if (options.Reconcile is not null)
        {
            throw new ConfigException(sync.Section.LocationOf("reconcile"), "'reconcile:' does not apply to a model that follows its tables by CDC: a deleted row arrives as a change",
                "remove 'reconcile:' (`sluice sync --full` reads every record again in a new slot's snapshot)");
        }

        var cdc = CdcSourceOptions.CdcSection(source);
        foreach (var (key, why) in new[] { ("start", "a model starts from a read of every record in the slot's snapshot"), ("fallback", "a model without logical replication follows cursors instead ('model: {cursor: …, cursors: {…}}')") })
        {
            if (cdc?.Has(key) == true && !(key == "start" && cdc.GetString("start") == "snapshot"))
            {
                throw new ConfigException(cdc.LocationOf(key), $"'cdc.{key}' does not apply to a model: {why}", $"remove '{key}'");
            }
        }

        var tables = new[] { options.Table }.Concat(options.Properties.Where(p => p.From is not null).Select(p => p.From!)).Distinct(StringComparer.Ordinal).ToList();
        return new ModelSourceOptions
        {
            Table = options.Table,
            Key = options.Key,
            Filter = options.Filter,
            Properties = options.Properties,
            BatchSize = options.BatchSize,
            Config = options.Config,
            Cdc = CdcSourceOptions.Follow(sync, tables, []),
        };
    }

    /// <summary>Cursors everywhere or nowhere: a table without one would change records no run ever recomputes.</summary>
    private static void CheckCursors(ModelSourceOptions options, ConfigSection model)
    {
        var secondary = options.Properties.Where(p => p.From is not null).Select(p => p.From!).Distinct(StringComparer.Ordinal).ToList();
        foreach (var name in options.Cursors.Keys.Where(name => !secondary.Contains(name, StringComparer.Ordinal)))
        {
            throw new ConfigException(model.GetSection("cursors")!.LocationOf(name), $"'cursors' names {name}, which no property reads from",
                secondary.Count == 0 ? "remove it" : $"tables the properties read: {string.Join(", ", secondary)}");
        }

        if (options.Cursor is null)
        {
            if (options.Cursors.Count > 0)
            {
                throw new ConfigException(model.LocationOf("cursors"), "the model has cursors for its secondary tables but none for its primary table",
                    "add 'cursor:' (e.g. 'cursor: updated_at'), or remove 'cursors:' to read every record on every run");
            }

            return;
        }

        var missing = secondary.Where(name => !options.Cursors.ContainsKey(name)).ToList();
        if (missing.Count > 0)
        {
            throw new ConfigException(model.LocationOf("cursor"),
                $"the model follows cursors, but {string.Join(", ", missing)} has none, so a change there would never recompute its records",
                $"add e.g. 'cursors: {{{missing[0]}: updated_at}}', or remove 'cursor:' to read every record on every run");
        }
    }
}
