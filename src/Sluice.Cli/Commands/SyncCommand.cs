using System.CommandLine;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.State;
using Sluice.Server.Hosting;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice sync NAME [--full] [--with-dependencies]</c>: one sync now (after its parents, if asked), with a progress bar.</summary>
internal static class SyncCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The sync to run, as named under 'syncs:' in the config." };
        var full = new Option<bool>("--full") { Description = "Start from the beginning instead of the last checkpoint. Unchanged records get the same message ids, so Segment drops them as duplicates." };
        var withDependencies = new Option<bool>("--with-dependencies")
        {
            Description = "First run the syncs its 'after:' names (and theirs), parents before their children, each from its checkpoint; stop at the first that fails.",
        };
        var command = new Command("sync",
            """
            Run one sync now, from its last checkpoint, and wait for it to finish. A streaming sync (a 'cdc:'
            source, an ingest source) follows its source until you stop it with Ctrl-C.

            The checkpoint moves only after the destination acknowledged, so stopping (Ctrl-C) or a crash loses
            nothing: the next run resumes where the last acknowledged batch ended.

            With --with-dependencies, the syncs named in its 'after:' (and theirs) run first, in order, and the sync
            runs only when they all succeeded; --full applies to the named sync only.

            Examples:
              sluice sync users_to_segment
              sluice sync users_to_segment --full -c prod.yaml
              sluice sync orders_to_segment --with-dependencies
            """)
        {
            name,
            full,
            withDependencies,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async () =>
        {
            var config = SluiceConfig.Load(parse.GetValue(CliOptions.Config)!);
            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            var syncName = parse.GetValue(name)!;
            workspace.FindSync(syncName);
            var kind = parse.GetValue(full) ? RunKind.Full : RunKind.Incremental;
            var rejected = new List<string>();
            // A parent that fails throws, and so stops here: the sync after it does not run on data it would miss.
            foreach (var parent in parse.GetValue(withDependencies) ? await workspace.RunFirstAsync(syncName) : [])
            {
                Output.Line($"{parent}: running first ('{syncName}' runs after it)");
                if ((await RunOneAsync(workspace, parent, RunKind.Incremental, ct)).Rejected > 0)
                {
                    rejected.Add(parent);
                }
            }

            var result = await RunOneAsync(workspace, syncName, kind, ct);
            if (result.Rejected > 0)
            {
                rejected.Add(syncName);
            }

            if (Environment.GetEnvironmentVariable("SLUICE_DEBUG") is "1" or "true")
            {
                Output.Hint($"runtime: {GC.GetTotalAllocatedBytes() / 1048576.0:N0} MB allocated; GCs gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, " +
                    $"paused {GC.GetTotalPauseDuration().TotalMilliseconds:N0} ms; JIT {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:N0} ms for {System.Runtime.JitInfo.GetCompiledMethodCount():N0} methods");
            }

            if (rejected.Count > 0)
            {
                Output.Hint($"dead letters are in the state schema's dead_letters table (sync {string.Join(", ", rejected.Select(r => $"'{r}'"))}), each with the reason");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<RunResult> RunOneAsync(SluiceWorkspace workspace, string syncName, RunKind kind, CancellationToken ct)
    {
        var result = await SyncProgress.ShowAsync(syncName, observer => workspace.RunAsync(syncName, kind, observer, ct));
        var rate = result.Elapsed.TotalSeconds > 0 ? result.Read / result.Elapsed.TotalSeconds : 0;
        Output.Line($"{syncName}: run {result.RunId} done in {result.Elapsed.TotalSeconds:0.0} s: {result.Read:N0} read, {result.Acknowledged:N0} acknowledged, {result.Rejected:N0} dead-lettered, " +
            (result.Skipped > 0 ? $"{result.Skipped:N0} skipped (no match; `sluice explain` says why), " : "") + $"{result.Batches:N0} batches ({rate:N0} records/s)");
        return result;
    }
}
