namespace Sluice.Core.Configuration;

/// <summary>
/// The graph that <c>after: [other_sync]</c> draws over a config's syncs: a sync runs after its parents. Checked when
/// the config loads, so that every command refuses the same file: every name in <c>after:</c> is a sync of the file,
/// and no sync waits, directly or through others, for itself.
/// </summary>
/// <remarks>
/// Whether a parent may stream (it may not: a streaming run never ends, so nothing could run after it) is known only
/// from its source, and is checked with the sync's schedule by the host that builds the sources.
/// </remarks>
public sealed class SyncDependencies
{
    private readonly Dictionary<string, SyncConfig> _syncs;

    private SyncDependencies(Dictionary<string, SyncConfig> syncs) => _syncs = syncs;

    /// <summary>Whether any sync of the file names a parent.</summary>
    public bool Any => _syncs.Values.Any(s => s.After.Count > 0);

    /// <summary>
    /// Every sync that runs before <paramref name="syncName"/>: its parents, theirs, and so on, each once, every
    /// parent before its children (a topological order; among unrelated syncs, the order of the <c>after:</c> lists).
    /// Empty for a sync without <c>after:</c> or a name the file does not declare.
    /// </summary>
    public IReadOnlyList<string> RunFirst(string syncName)
    {
        var order = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { syncName };
        Visit(syncName);
        return order;

        void Visit(string name)
        {
            foreach (var parent in _syncs.TryGetValue(name, out var sync) ? sync.After : [])
            {
                if (seen.Add(parent))
                {
                    Visit(parent);
                    order.Add(parent);
                }
            }
        }
    }

    /// <summary>Checks the <c>after:</c> lists of <paramref name="syncs"/>; the error names the file, line and fix.</summary>
    internal static SyncDependencies Build(IReadOnlyList<SyncConfig> syncs)
    {
        var byName = syncs.ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var sync in syncs)
        {
            foreach (var parent in sync.After)
            {
                if (parent == sync.Name)
                {
                    throw new ConfigException(sync.Section.LocationOf("after"), $"sync '{sync.Name}' is after itself, so it could never start",
                        "remove its own name from 'after:'");
                }

                if (!byName.ContainsKey(parent))
                {
                    var others = syncs.Select(s => s.Name).Where(n => n != sync.Name).ToList();
                    throw new ConfigException(sync.Section.LocationOf("after"), $"'after' names {sync.Section.Show("after", $"'{parent}'")}, which is not a sync of this file",
                        NameSuggestions.Closest(parent, others) is { } closest ? $"did you mean '{closest}'?"
                        : others.Count == 0 ? "remove 'after:'; there is no other sync to run first"
                        : $"name one of: {string.Join(", ", others)}");
                }
            }
        }

        RefuseCycles(syncs, byName);
        return new SyncDependencies(byName);
    }

    /// <summary>A depth-first walk in file order; meeting a sync still on the path closes a cycle, reported where it closes.</summary>
    private static void RefuseCycles(IReadOnlyList<SyncConfig> syncs, Dictionary<string, SyncConfig> byName)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<string>();
        foreach (var sync in syncs)
        {
            Walk(sync);
        }

        void Walk(SyncConfig sync)
        {
            if (done.Contains(sync.Name))
            {
                return;
            }

            path.Add(sync.Name);
            foreach (var parent in sync.After)
            {
                var start = path.IndexOf(parent);
                if (start >= 0)
                {
                    var cycle = string.Join(" → ", path.Skip(start).Append(parent));
                    throw new ConfigException(sync.Section.LocationOf("after"), $"'after' makes a cycle: {cycle} (each waits for the next), so none of them could ever start",
                        $"remove '{parent}' from the 'after:' of '{sync.Name}', or another link of the cycle");
                }

                Walk(byName[parent]);
            }

            path.RemoveAt(path.Count - 1);
            done.Add(sync.Name);
        }
    }
}
