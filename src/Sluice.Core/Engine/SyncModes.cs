using Sluice.Core.Configuration;
using Sluice.Core.Records;

namespace Sluice.Core.Engine;

/// <summary>Checks that a sync's mode (<c>on:</c>, <c>reconcile:</c>) asks only for what its source can tell and its destination can do.</summary>
public static class SyncModes
{
    /// <summary>Throws a <see cref="ConfigException"/> pointing at <c>on:</c> when the mode cannot be honoured.</summary>
    public static void Check(SyncDefinition sync)
    {
        var on = sync.Options.On;
        var location = sync.Options.OnLocation;
        if (on != ChangeKinds.AddedOrChanged && (on & ~sync.Source.Detects) != 0)
        {
            throw new ConfigException(location,
                $"sync '{sync.Name}' asks for 'on: [{Names(on)}]', but {sync.Source.Description} cannot tell {Names(on & ~sync.Source.Detects)} records apart",
                sync.Source.Detects == ChangeKinds.None
                    ? "a table read by a cursor sends every new or updated row: remove 'on:', or diff instead (a 'query:' with a 'key:', or a 'table:' without 'cursor:')"
                    : $"this source can tell: {Names(sync.Source.Detects)}");
        }

        if (sync.Options.Reconcile is not null && sync.Source.Diff?.IsPartial is null)
        {
            throw new ConfigException(sync.Options.ReconcileLocation,
                $"sync '{sync.Name}' has 'reconcile:', but {sync.Source.Description} never reads only what changed, so there is nothing to reconcile",
                sync.Source.Diff is not null
                    ? "remove 'reconcile:': this source reads every record on every run, and the diff finds deleted ones each time"
                    : "remove 'reconcile:', or use a model source ('model:'), whose reads follow cursors and which reconciles every record at that interval");
        }

        if ((on & ChangeKinds.Deleted) != 0 && !sync.Destination.AcceptsDeletes)
        {
            throw new ConfigException(location,
                $"sync '{sync.Name}' asks for deleted records, but {sync.Destination.Description} cannot delete records",
                "remove 'deleted' from 'on:' (a Segment destination sends deletes once it says which call makes them: 'on_delete:', docs/segment.md#deletes)");
        }

        if (sync.Destination.Shape.WatchedColumns is [var (column, watchedAt), ..])
        {
            // The previous value lives with the fingerprint in record_state, which only a diffing source keeps.
            if ((sync.Source.Detects & ChangeKinds.Changed) == 0)
            {
                throw new ConfigException(watchedAt,
                    $"sync '{sync.Name}' fires on a transition of '{column}', which needs its previous value, but {sync.Source.Description} keeps none (it follows a cursor)",
                    "diff the table instead (remove 'cursor:'), or use a 'query:' with a 'key:'");
            }

            if ((on & ChangeKinds.Changed) == 0)
            {
                throw new ConfigException(location ?? watchedAt,
                    $"sync '{sync.Name}' fires on a transition of '{column}', but its 'on: [{Names(on)}]' leaves changed records out, so no transition is ever seen",
                    "add 'changed' to 'on:'");
            }
        }
    }

    /// <summary>As written in the config: <c>added, changed</c>.</summary>
    public static string Names(ChangeKinds kinds)
    {
        var names = new List<string>(3);
        if ((kinds & ChangeKinds.Added) != 0)
        {
            names.Add("added");
        }

        if ((kinds & ChangeKinds.Changed) != 0)
        {
            names.Add("changed");
        }

        if ((kinds & ChangeKinds.Deleted) != 0)
        {
            names.Add("deleted");
        }

        return string.Join(", ", names);
    }
}
