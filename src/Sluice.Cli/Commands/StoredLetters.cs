using System.Globalization;
using Sluice.Cli.Terminal;
using Sluice.Core.Engine;
using Sluice.Core.State;
using Sluice.Server.Hosting;
using Sluice.State;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary>
/// What <c>sluice dlq</c> and <c>sluice quarantine</c> do alike, each in its own words: list stored rows (a table on a
/// terminal, tab-separated lines otherwise) with a hint of what to do next, and open a replay or release — the sync
/// built as configured today and its run lock taken, so it never interleaves with the live sync.
/// </summary>
internal static class StoredLetters
{
    /// <summary>Prints <paramref name="rows"/> (the latest of <paramref name="total"/>) and the hint, or that there are none.</summary>
    /// <param name="noun">What a row is, singular: <c>dead letter</c>, <c>quarantined event</c>.</param>
    /// <param name="none">What to print when there are none: <c>no dead letters</c>.</param>
    /// <param name="nextStep">The hint's last sentence, given the sync to name in it.</param>
    public static void PrintListing(IReadOnlyList<StoredDeadLetter> rows, long total, string? syncName, string noun, string none, Func<string, string> nextStep, string[] columns, Func<StoredDeadLetter, IEnumerable<string>> cells)
    {
        if (total == 0)
        {
            Output.Line(syncName is null ? none : $"{none} for sync '{syncName}'");
            return;
        }

        PrintRows(rows, columns, cells);
        var subject = syncName ?? (rows.Select(l => l.SyncName).Distinct().Count() == 1 ? rows[0].SyncName : "SYNC");
        Output.Hint($"{(rows.Count < total ? $"the latest {rows.Count} of {total:N0}" : $"{total:N0}")} {noun}(s)" +
            (rows.Count < total ? "; --limit shows more" : "") + $". {nextStep(subject)}");
    }

    /// <summary>The UTC time as every listing shows it.</summary>
    public static string When(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>
    /// Whether exactly one of <c>--all</c> and <c>--id</c> was given; if not, says so (and how to see the ids) and the
    /// command exits with a usage error.
    /// </summary>
    public static bool SelectionIsClear(long[] ids, bool all, string verb, string plural, string listCommand)
    {
        if (ids.Length == 0 != !all)
        {
            return true;
        }

        Output.Error(all ? "--all and --id contradict each other" : $"say which {plural} to {verb}: --all, or --id N (repeatable)");
        Output.Hint($"see them with: {listCommand}");
        return false;
    }

    /// <summary>
    /// Builds <paramref name="sync"/> as configured now and takes its run lock as <paramref name="leaseName"/>; null
    /// (having said why) when another process holds it. <paramref name="activity"/> names what must not interleave
    /// with the live sync: <c>a replay</c>, <c>a release</c>.
    /// </summary>
    public static async Task<OpenedReplay?> OpenAsync(SluiceWorkspace workspace, string sync, string leaseName, string activity, CancellationToken ct)
    {
        var definition = workspace.Build(workspace.FindSync(sync));
        var store = await workspace.StateAsync(ct);
        var lease = await store.TryAcquireAsync(leaseName, ct);
        if (lease is null)
        {
            await definition.Source.DisposeAsync();
            await definition.Destination.DisposeAsync();
            Output.Error($"sync '{leaseName}' is running (another sluice process holds its lock)");
            Output.Hint($"{activity} must not interleave with the live sync: wait for the run to end, or stop it (a streaming sync runs as long as `sluice run`), then {activity.Split(' ')[^1]}");
            return null;
        }

        return new OpenedReplay(definition, store, lease);
    }

    private static void PrintRows(IReadOnlyList<StoredDeadLetter> rows, string[] columns, Func<StoredDeadLetter, IEnumerable<string>> cells)
    {
        if (!Output.Interactive)
        {
            foreach (var row in rows)
            {
                // One line per row, tab-separated: no tab or line break inside a field.
                Console.Out.WriteLine(string.Join('\t', cells(row).Select(c => c.Replace('\t', ' ').Replace('\r', ' ').Replace('\n', ' '))));
            }

            return;
        }

        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in columns)
        {
            table.AddColumn(column);
        }

        foreach (var row in rows)
        {
            table.AddRow(cells(row).Select(c => Markup.Escape(c)).ToArray());
        }

        AnsiConsole.Write(table);
    }
}

/// <summary>A sync opened for a replay or release: built, with its state store and its run lock, all released on dispose.</summary>
internal sealed class OpenedReplay(SyncDefinition definition, PostgresStateStore store, ISyncLease lease) : IAsyncDisposable
{
    public SyncDefinition Definition => definition;

    public PostgresStateStore Store => store;

    public ISyncLease Lease => lease;

    public async ValueTask DisposeAsync()
    {
        await lease.DisposeAsync();
        await definition.Destination.DisposeAsync();
        await definition.Source.DisposeAsync();
    }
}
