using System.Threading.Channels;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Xunit;

namespace Sluice.Testing.Conformance;

/// <summary>
/// A source read in the background, so that a test takes its records as they come (a streaming source never ends)
/// and can tell a read that ended from one that is still waiting.
/// </summary>
public sealed class BackgroundRead : IAsyncDisposable
{
    private readonly Channel<Change> _changes = Channel.CreateUnbounded<Change>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    public BackgroundRead(ISource source, ReadRequest request)
    {
        _reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var change in source.ReadAsync(request, _stop.Token))
                {
                    if (change.IsProgress)
                    {
                        continue; // a move of the source's position (Change.Progress), no record
                    }

                    await _changes.Writer.WriteAsync(change, _stop.Token);
                }

                _changes.Writer.TryComplete();
            }
            catch (Exception e)
            {
                _changes.Writer.TryComplete(e);
            }
        });
    }

    /// <summary>The next <paramref name="count"/> records; fails when the read ends or fails first, or they take longer than <see cref="Eventually.DefaultLimit"/>.</summary>
    public async Task<List<Change>> TakeAsync(int count)
    {
        using var limit = new CancellationTokenSource(Eventually.DefaultLimit);
        var taken = new List<Change>(count);
        try
        {
            while (taken.Count < count)
            {
                taken.Add(await _changes.Reader.ReadAsync(limit.Token));
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            Assert.Fail($"only {taken.Count} of {count} records came within {Eventually.DefaultLimit.TotalSeconds:0} s: [{string.Join(", ", taken.Select(c => c.Key))}]");
        }
        catch (ChannelClosedException e) when (e.InnerException is null)
        {
            Assert.Fail($"the read ended after {taken.Count} of {count} records: [{string.Join(", ", taken.Select(c => c.Key))}]");
        }

        return taken;
    }

    /// <summary>Waits for a read that ends to end, and fails if it yields anything more first.</summary>
    public async Task EndedAsync()
    {
        using var limit = new CancellationTokenSource(Eventually.DefaultLimit);
        var more = new List<string>();
        await foreach (var change in _changes.Reader.ReadAllAsync(limit.Token))
        {
            more.Add(change.Key);
        }

        Assert.True(more.Count == 0, $"the read yielded more than it should: [{string.Join(", ", more)}]");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _stop.Dispose();
    }
}
