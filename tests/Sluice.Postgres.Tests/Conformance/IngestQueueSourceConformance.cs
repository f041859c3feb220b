using Sluice.Core.Connectors;
using Sluice.Postgres.Tests.Ingest;
using Sluice.State.Ingest;
using Sluice.Testing.Conformance;

namespace Sluice.Postgres.Tests.Conformance;

/// <summary>The ingest queue source passes the source conformance suite: events enqueued after a checkpoint stream.</summary>
public sealed class IngestQueueSourceConformance : SourceConformance
{
    private IngestTestDatabase _db = null!;

    protected override IReadOnlyList<string> KeyColumns => ["event_id"];

    protected override IReadOnlyList<string> SeededColumns => IngestTestDatabase.AllColumns;

    protected override async Task SetUpAsync() => _db = await IngestTestDatabase.CreateAsync(nameof(IngestQueueSourceConformance));

    protected override async Task TearDownAsync() => await _db.DisposeAsync();

    protected override async Task SeedAsync(int from, int count)
    {
        await using var queue = _db.Queue();
        await queue.EnqueueAsync(IngestTestDatabase.Events("web", from, count), default);
    }

    protected override string KeyOf(int i) => IngestTestDatabase.Id(i).ToString();

    protected override ISource CreateSource() => Source(IngestTestDatabase.Schema);

    // The state schema was never migrated: there is no queue to read.
    protected override ISource CreateMisconfiguredSource() => Source("missing_state");

    private IngestQueueSource Source(string schema) =>
        new(_db.DataSource, schema, "web", new IngestQueueSourceOptions { PollInterval = TimeSpan.FromMilliseconds(50) }, TimeProvider.System);
}
