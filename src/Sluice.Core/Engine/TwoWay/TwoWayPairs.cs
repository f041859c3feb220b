using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Processing;
using Sluice.Core.State;

namespace Sluice.Core.Engine.TwoWay;

/// <summary>
/// Finds the two-way pair a sync belongs to (it declares <c>two_way:</c>, or the sync that does names it in
/// <c>with:</c>) and makes its direction's processor. The pair's fields are those the two mappings carry both ways: the
/// declaring sync maps a column onto a field, and the other maps that field back onto the same column.
/// </summary>
public static class TwoWayPairs
{
    private static readonly string[] Sides = ["postgres", "salesforce"];

    /// <summary>The declaring sync of the pair <paramref name="sync"/> belongs to, with its options; <c>null</c> when it belongs to none.</summary>
    public static (SyncConfig Declaring, TwoWayOptions Options)? PairOf(SluiceConfig config, SyncConfig sync)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (TwoWayOptions.Bind(sync) is { } own)
        {
            return (sync, own);
        }

        foreach (var other in config.Syncs.Where(s => s.Name != sync.Name && s.Section.Has("two_way")))
        {
            if (TwoWayOptions.Bind(other) is { } options && options.With == sync.Name)
            {
                return (other, options);
            }
        }

        return null;
    }

    /// <summary>The processor of <paramref name="sync"/>'s direction of its pair, or <c>null</c> when it is in no pair.</summary>
    public static IRecordProcessor? ProcessorFor(SluiceConfig config, SyncConfig sync, IDestination destination, IPairedRecordReader agreements)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(sync);
        if (PairOf(config, sync) is not var (declaring, options))
        {
            return null;
        }

        var mirror = config.FindSync(options.With)
            ?? throw new ConfigException(options.Location, $"two_way: no sync named '{options.With}'", $"syncs: {string.Join(", ", config.Syncs.Select(s => s.Name))}");
        if (mirror.Name == declaring.Name)
        {
            throw new ConfigException(options.Location, "two_way: a sync cannot be paired with itself", "name the sync that carries the other direction");
        }

        var sourceSide = SideOf(config, sync.SourceConnection, options);
        var destinationSide = SideOf(config, sync.DestinationConnection, options);
        if (sourceSide == destinationSide)
        {
            throw new ConfigException(options.Location, $"two_way: sync '{sync.Name}' reads and writes {sourceSide}",
                "pair a sync from PostgreSQL to Salesforce with one from Salesforce to PostgreSQL");
        }

        var fields = FieldsOf(declaring, mirror, SideOf(config, declaring.DestinationConnection, options) == "salesforce", options);
        var mine = sync.Name == declaring.Name
            ? fields
            : [.. fields.Select(f => new TwoWayField(f.Name, f.DestinationField, f.SourceColumn))];
        if (destination is not ICurrentRecords current)
        {
            throw new ConfigException(options.Location, $"two_way: the destination of '{sync.Name}' cannot read back what it holds", "pair a PostgreSQL table with a Salesforce object");
        }

        return new TwoWayProcessor(declaring.Name, options, mine, sourceSide, destinationSide, linkBySourceKey: sourceSide == "salesforce", current, agreements);
    }

    private static string SideOf(SluiceConfig config, string connection, TwoWayOptions options)
    {
        var type = config.FindConnection(connection)?.Type;
        return Sides.Contains(type)
            ? type!
            : throw new ConfigException(options.Location, $"two_way: connection '{connection}' is {type}, not PostgreSQL or Salesforce", "pair a PostgreSQL table with a Salesforce object");
    }

    /// <summary>The declaring sync's fields (source column → destination field) that the mirror maps back.</summary>
    private static List<TwoWayField> FieldsOf(SyncConfig declaring, SyncConfig mirror, bool declaringWritesSalesforce, TwoWayOptions options)
    {
        var back = mirror.Mapping.Fields.Where(f => f.Column is not null && f.Children is null).ToList();
        var fields = new List<TwoWayField>();
        foreach (var field in declaring.Mapping.Fields.Where(f => f.Column is not null && f.Children is null))
        {
            if (back.Any(b => b.Target == field.Column && b.Column == field.Target))
            {
                fields.Add(new TwoWayField(declaringWritesSalesforce ? field.Target : field.Column!, field.Column!, field.Target));
            }
        }

        if (fields.Count == 0)
        {
            throw new ConfigException(options.Location, $"two_way: '{declaring.Name}' and '{mirror.Name}' carry no field both ways",
                $"map the same pairs in both: e.g. '{declaring.Name}' maps 'Email: email' and '{mirror.Name}' maps 'email: Email'");
        }

        foreach (var owned in options.Owner.Keys.Where(k => fields.All(f => f.Name != k)))
        {
            throw new ConfigException(options.Location, $"two_way.owner: '{owned}' is no field the pair carries both ways", $"fields: {string.Join(", ", fields.Select(f => f.Name))}");
        }

        return fields;
    }
}
