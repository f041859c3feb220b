using Npgsql;

namespace Sluice.State.Ingest;

public sealed partial class IngestQueue
{
    /// <summary>
    /// The turn to gather requests and copy them in, held by one writer at a time (see <see cref="WriteLoopAsync"/>).
    /// Passed on once, by <see cref="Pass"/> just before the holder's COMMIT, or when it is disposed, whichever comes first.
    /// </summary>
    private sealed class CopyTurn : IDisposable
    {
        private SemaphoreSlim? _turn;

        private CopyTurn(SemaphoreSlim turn) => _turn = turn;

        public static async Task<CopyTurn> TakeAsync(SemaphoreSlim turn)
        {
            await turn.WaitAsync();
            return new CopyTurn(turn);
        }

        public void Pass() => Interlocked.Exchange(ref _turn, null)?.Release();

        public void Dispose() => Pass();
    }

    /// <summary>
    /// A writer's connection, kept from one transaction to the next: a connection taken from the pool and returned for
    /// every commit cost the server a session reset (Npgsql resets a pooled session for its next user: <c>DISCARD ALL</c> or its
    /// parts) and the writer a pool round trip per commit. Returned to the pool after a failure (the next transaction starts on a fresh session), and
    /// replaced by a fresh one when the next request finds it idle past <see cref="IdleLifetime"/>. With no request at all it stays open until the
    /// queue is disposed: at most one connection per writer, as the writers held while busy before.
    /// </summary>
    private sealed class WriterSession : IAsyncDisposable
    {
        private static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(60);

        private NpgsqlConnection? _connection;
        private long _lastUsed;

        public async Task<NpgsqlConnection> OpenAsync(NpgsqlDataSource dataSource, TimeProvider time)
        {
            var now = time.GetTimestamp();
            if (_connection is not null && time.GetElapsedTime(_lastUsed, now) > IdleLifetime)
            {
                await DropAsync();
            }

            _lastUsed = now;
            return _connection ??= await dataSource.OpenConnectionAsync();
        }

        public async Task DropAsync()
        {
            if (_connection is { } connection)
            {
                _connection = null;
                await connection.DisposeAsync();
            }
        }

        public async ValueTask DisposeAsync() => await DropAsync();
    }
}
