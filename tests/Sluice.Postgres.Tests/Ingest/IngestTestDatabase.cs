using System.Text;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Postgres.Ingest;
using Sluice.Postgres.State;
using Sluice.Testing;

namespace Sluice.Postgres.Tests.Ingest;

/// <summary>A fresh database with the state store (and so the ingest queue) migrated, and helpers to fill and read it.</summary>
internal sealed class IngestTestDatabase : IAsyncDisposable
{
    public const string Schema = "sluice";

    private IngestTestDatabase(NpgsqlDataSource dataSource, string connectionString)
    {
        DataSource = dataSource;
        ConnectionString = connectionString;
    }

    public NpgsqlDataSource DataSource { get; }

    public string ConnectionString { get; }

    public static readonly IReadOnlyList<string> AllColumns = IngestQueueSource.Columns.Select(c => c.Name).ToList();

    public static async Task<IngestTestDatabase> CreateAsync(string purpose)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(purpose);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        await PostgresStateStore.OpenAsync(dataSource, Schema);
        return new IngestTestDatabase(dataSource, connectionString);
    }

    public static IngestEvent Event(string source, int n, DateTimeOffset? receivedAt = null) =>
        new(source, Id(n), IngestEventKind.Segment, "track", $"Event {n}", receivedAt ?? DateTimeOffset.UtcNow,
            Encoding.UTF8.GetBytes($$"""{"type":"track","event":"Event {{n}}","messageId":"{{Id(n)}}"}"""));

    /// <summary>A readable, deterministic event id: <c>00000000-0000-0000-0000-0000000000nn</c>.</summary>
    public static Guid Id(int n) => new($"00000000-0000-0000-0000-{n:D12}");

    public static IReadOnlyList<IngestEvent> Events(string source, int from, int count) =>
        Enumerable.Range(from, count).Select(n => Event(source, n)).ToList();

    public IngestQueue Queue(IngestQueueOptions? options = null, TimeProvider? time = null) => new(DataSource, Schema, options, time);

    /// <summary>A reader that only polls, so that a test moves it one poll at a time with the clock.</summary>
    public IngestQueueSource Source(string source, TimeProvider time, int pageSize = 1_000) =>
        new(DataSource, Schema, source, new IngestQueueSourceOptions { PageSize = pageSize, PollInterval = TimeSpan.FromSeconds(1), Listen = false }, time);

    public async Task<long> CountAsync(string where = "true")
    {
        await using var command = DataSource.CreateCommand($"SELECT count(*) FROM {Schema}.ingest_queue WHERE {where}");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Reads <paramref name="source"/>'s events from <paramref name="from"/> until <paramref name="expected"/> have come,
    /// then polls once more (so that one too many would show) and stops. The reader runs on a fake clock moved only
    /// when it sleeps, so each poll is a step; it re-polls while some other transaction of the cluster holds back the
    /// queue's horizon.
    /// </summary>
    public async Task<List<Change>> ReadAsync(string source, Checkpoint? from, int expected, IReadOnlyList<string>? columns = null, int pageSize = 1_000)
    {
        var time = new TimerAwareFakeTimeProvider();
        await using var reader = Source(source, time, pageSize);
        await using var follower = Follow(reader, time, from, columns);
        await follower.WaitForAsync(expected);
        await follower.PollAsync();
        return follower.Seen;
    }

    /// <summary>Starts reading in the background; see <see cref="Follower"/>.</summary>
    public static Follower Follow(IngestQueueSource source, TimerAwareFakeTimeProvider time, Checkpoint? from, IReadOnlyList<string>? columns = null) =>
        new(source, time, new ReadRequest(columns ?? AllColumns, from));

    /// <summary>A reader running in the background on a fake clock, moved by the test one poll at a time.</summary>
    internal sealed class Follower : IAsyncDisposable
    {
        private const int MaxPolls = 1_000;

        private readonly TimerAwareFakeTimeProvider _time;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Change> _seen = [];
        private readonly Task _reading;

        public Follower(IngestQueueSource source, TimerAwareFakeTimeProvider time, ReadRequest request)
        {
            _time = time;
            _reading = Task.Run(async () =>
            {
                await foreach (var change in source.ReadAsync(request, _stop.Token))
                {
                    lock (_seen)
                    {
                        _seen.Add(change);
                    }
                }
            });
        }

        public List<Change> Seen
        {
            get
            {
                lock (_seen)
                {
                    return [.. _seen];
                }
            }
        }

        public Task Reading => _reading;

        /// <summary>Until the reader has yielded everything it can see and sleeps.</summary>
        public async Task CaughtUpAsync()
        {
            var asleep = _time.WaitForTimersAsync(1);
            if (await Task.WhenAny(_reading, asleep) == _reading)
            {
                await _reading; // it ended: throws what it threw
                throw new InvalidOperationException("the reader ended; a streaming source must not");
            }

            await asleep;
        }

        /// <summary>Wakes the sleeping reader for one more poll and waits until it sleeps again.</summary>
        public async Task PollAsync()
        {
            await CaughtUpAsync();
            _time.AdvanceToNextTimer();
            await CaughtUpAsync();
        }

        public async Task WaitForAsync(int count)
        {
            await CaughtUpAsync();
            for (var polls = 0; Seen.Count < count; polls++)
            {
                Assert.True(polls < MaxPolls, $"saw {Seen.Count} of {count} changes after {MaxPolls} polls");
                // Another test's open transaction may hold the horizon back for a while: give it real time to end.
                await Task.Delay(10);
                await PollAsync();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _reading);
            _stop.Dispose();
        }
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
