using Npgsql;
using Sluice.Postgres;

namespace Sluice.State.Ingest;

/// <summary>
/// Lets a reader that has caught up sleep until the next poll or the next commit notification, whichever comes
/// first. The listening connection is opened on the first wait and reopened on a later one if it broke; while it is
/// down the reader just polls, so a failure here is never an error.
/// </summary>
internal sealed class CommitSignal(NpgsqlDataSource dataSource, string channel, bool listen, CancellationToken readerToken) : IAsyncDisposable
{
    private readonly SemaphoreSlim _notified = new(0);
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(readerToken);
    private Task? _listening;

    public async Task WaitAsync(TimeSpan pollInterval, TimeProvider time, CancellationToken ct)
    {
        if (listen && _listening is not { IsCompleted: false })
        {
            _listening = ListenAsync(_stop.Token);
        }

        using var woken = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var poll = Task.Delay(pollInterval, time, woken.Token);
        var notified = _notified.WaitAsync(woken.Token);
        await Task.WhenAny(poll, notified);
        await woken.CancelAsync();
        ct.ThrowIfCancellationRequested();

        // Commits announced meanwhile are covered by the read that follows.
        while (_notified.Wait(0, CancellationToken.None))
        {
        }
    }

    /// <summary>Stops listening (closing the connection) before anything the listener touches is disposed.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_listening is not null)
        {
            await _listening;
        }

        _stop.Dispose();
        _notified.Dispose();
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            connection.Notification += (_, _) => _notified.Release();
            await using (var command = new NpgsqlCommand($"LISTEN {SqlNames.Quote(channel)}", connection))
            {
                await command.ExecuteNonQueryAsync(ct);
            }

            while (true)
            {
                await connection.WaitAsync(ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or IOException)
        {
            // Cancelled with the read, or the connection broke: the reader polls until its next wait reopens it.
        }
    }
}
