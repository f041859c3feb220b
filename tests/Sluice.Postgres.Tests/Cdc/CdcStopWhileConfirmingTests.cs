using Sluice.Core.Connectors;
using Sluice.Core.Records;

namespace Sluice.Postgres.Tests.Cdc;

/// <summary>
/// A stream stopped while the engine and the heartbeat confirm positions ends as stopped: Npgsql's status update throws
/// NullReferenceException when the replication ends under it, so no update may run while the stream ends (a CI run of
/// a two-way sync saw the NullReferenceException end a stopped run).
/// </summary>
public sealed class CdcStopWhileConfirmingTests
{
    private const string Accounts = "CREATE TABLE accounts (id int PRIMARY KEY, seats int);";

    [Fact]
    public async Task Stopping_a_stream_while_commits_and_heartbeats_confirm_ends_it_as_stopped()
    {
        await using var bed = await CdcTestBed.CreateAsync(nameof(Stopping_a_stream_while_commits_and_heartbeats_confirm_ends_it_as_stopped), Accounts);
        for (var round = 0; round < 12; round++)
        {
            var sync = $"confirming{round}";
            var source = bed.Source(sync, "table: accounts\ncdc: {start: now}", heartbeat: TimeSpan.FromMilliseconds(1));
            await using var _ = source;
            using var stop = new CancellationTokenSource();
            var first = new TaskCompletionSource<Change>(TaskCreationOptions.RunContinuationsAsynchronously);
            var reading = Task.Run(async () =>
            {
                await foreach (var change in source.ReadAsync(new ReadRequest(["id", "seats"], null), stop.Token))
                {
                    first.TrySetResult(change);
                }
            });

            await bed.EventuallyReadyAsync($"sluice_{sync}");
            await bed.ExecuteAsync($"INSERT INTO accounts VALUES ({round}, 1)");
            var checkpoint = (await first.Task.WaitAsync(TimeSpan.FromSeconds(30))).Position.ToCheckpoint();

            // The engine's committer confirms without pause while the stream is stopped under it.
            using var stopConfirming = new CancellationTokenSource();
            var confirmed = 0;
            var confirming = Task.Run(async () =>
            {
                while (!stopConfirming.IsCancellationRequested)
                {
                    await source.CommittedAsync(checkpoint, CancellationToken.None);
                    Interlocked.Increment(ref confirmed);
                }
            });
            await CdcTestBed.EventuallyAsync(() => Task.FromResult(Volatile.Read(ref confirmed) > 20 || confirming.IsCompleted), "confirmations under way");

            await stop.CancelAsync();
            // Bounded: a stream that never ends (the gate held for ever) fails here with a TimeoutException, not a hang.
            var stopped = await Record.ExceptionAsync(() => reading.WaitAsync(TimeSpan.FromSeconds(60)));
            await stopConfirming.CancelAsync();
            var confirmFailed = await Record.ExceptionAsync(() => confirming.WaitAsync(TimeSpan.FromSeconds(60)));

            Assert.True(stopped is OperationCanceledException, $"round {round}: the stream ended with {stopped}");
            Assert.True(confirmFailed is null, $"round {round}: a confirmation failed with {confirmFailed}");
        }
    }
}
