using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Records;
using Xunit;

namespace Sluice.Testing.Conformance;

/// <summary>
/// The cases every source passes (STYLE.md rule 11, after Conduit's acceptance tests): check, discover, a full read,
/// a read from a stored checkpoint, and for a source that streams, new records after its checkpoint and the engine's
/// confirmation. A connector's test project derives one class from this per source and fills in the harness: how to
/// set up its own database (or schema, slot), seed records and make the source. xunit runs each case on a fresh
/// instance, so every case gets a fixture of its own.
/// </summary>
public abstract class SourceConformance : IAsyncLifetime
{
    /// <summary>How many records a case seeds before it reads.</summary>
    protected const int Seeded = 12;

    /// <summary>Creates the fixture: a database, schema or queue of this case's own, with nothing seeded yet.</summary>
    protected abstract Task SetUpAsync();

    /// <summary>Removes what <see cref="SetUpAsync"/> and the sources made that outlives the process's cluster (slots).</summary>
    protected abstract Task TearDownAsync();

    /// <summary>
    /// Adds records <paramref name="from"/> … <paramref name="from"/> + <paramref name="count"/> − 1, each in a
    /// position after the one before (a later cursor, a later commit). Record <c>i</c> has key <see cref="KeyOf"/>(i).
    /// </summary>
    protected abstract Task SeedAsync(int from, int count);

    /// <summary>The key a source yields for record <paramref name="i"/>.</summary>
    protected abstract string KeyOf(int i);

    /// <summary>A source over the seeded records.</summary>
    protected abstract ISource CreateSource();

    /// <summary>A source whose setup is wrong in the commonest way: the table (or queue) it names does not exist.</summary>
    protected abstract ISource CreateMisconfiguredSource();

    /// <summary>The record key's columns, as <see cref="ISource.DiscoverAsync"/> must name them.</summary>
    protected abstract IReadOnlyList<string> KeyColumns { get; }

    /// <summary>The columns the seeded records have; discovery must offer each, and the reads ask for them.</summary>
    protected abstract IReadOnlyList<string> SeededColumns { get; }

    /// <summary>
    /// Whether a full read yields the seeded records in seeding order. <c>false</c> only where their positions are equal
    /// (a CDC source's initial copy: every row is at the snapshot), so that any order is position order.
    /// </summary>
    protected virtual bool FullReadInSeedingOrder => true;

    /// <summary>
    /// Whether a read from a checkpoint yields only what comes after it. <c>false</c> for a source whose reads are
    /// whole and diffed (the checkpoint only marks that it ran before): it must then yield every record again.
    /// </summary>
    protected virtual bool ReadsOnFromItsCheckpoint => true;

    public async Task InitializeAsync() => await SetUpAsync();

    public async Task DisposeAsync() => await TearDownAsync();

    [Fact]
    public async Task Check_passes_on_a_good_setup()
    {
        await SeedAsync(1, Seeded);
        await using var source = CreateSource();

        await source.CheckAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Check_fails_with_a_classified_error_when_what_it_reads_is_missing()
    {
        await SeedAsync(1, Seeded);
        await using var source = CreateMisconfiguredSource();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => source.CheckAsync(CancellationToken.None));

        var classified = Assert.IsAssignableFrom<SluiceException>(error);
        Assert.True(Enum.IsDefined(classified.Class), $"unclassified: {classified.Class}");
        Assert.False(string.IsNullOrWhiteSpace(classified.Message));
    }

    [Fact]
    public async Task Discover_returns_the_key_and_the_seeded_columns()
    {
        await SeedAsync(1, Seeded);
        await using var source = CreateSource();

        var schema = await source.DiscoverAsync(CancellationToken.None);

        Assert.Equal(KeyColumns, schema.KeyColumns);
        Assert.All(SeededColumns, column => Assert.Contains(column, schema.Columns.Select(c => c.Name)));
    }

    [Fact]
    public async Task A_read_from_no_checkpoint_yields_every_seeded_record_once_in_position_order()
    {
        await SeedAsync(1, Seeded);
        await using var source = CreateSource();
        await using var reader = new BackgroundRead(source, new ReadRequest(SeededColumns, null));

        var read = await reader.TakeAsync(Seeded);

        var expected = Enumerable.Range(1, Seeded).Select(KeyOf).ToList();
        Assert.Equal(read.Count, read.Select(c => c.Key).Distinct().Count());
        if (FullReadInSeedingOrder)
        {
            Assert.Equal(expected, read.Select(c => c.Key));
        }
        else
        {
            Assert.Equal(expected.Order(StringComparer.Ordinal), read.Select(c => c.Key).Order(StringComparer.Ordinal));
        }

        Assert.All(read, c => Assert.Equal(SeededColumns.Count, c.Values.Length));
        if (source.Streams)
        {
            // Nothing more than the seeded records came before the next one seeded: it is the very next.
            await SeedAsync(Seeded + 1, 1);
            Assert.Equal(KeyOf(Seeded + 1), (await reader.TakeAsync(1))[0].Key);
        }
        else
        {
            await reader.EndedAsync();
        }
    }

    [Fact]
    public async Task A_read_from_a_stored_checkpoint_yields_exactly_the_records_after_it()
    {
        await SeedAsync(1, Seeded);
        await using var source = CreateSource();
        if (source.MayPoll)
        {
            // As the engine does: a source that may poll instead of streaming knows which once connected (discovery).
            await source.DiscoverAsync(CancellationToken.None);
        }

        if (source.Streams)
        {
            await StreamFromACheckpointAsync(source);
            return;
        }

        var all = await ReadAsync(source, null, Seeded);
        var midway = ThroughStoredForm(all[(Seeded / 2) - 1].Position.ToCheckpoint());

        var rest = await ReadAsync(source, midway, ReadsOnFromItsCheckpoint ? Seeded - (Seeded / 2) : Seeded);

        Assert.Equal(
            (ReadsOnFromItsCheckpoint ? all.Skip(Seeded / 2) : all).Select(c => c.Key),
            rest.Select(c => c.Key));
    }

    /// <summary>
    /// A streaming source: after the seeded records, new ones stream; the engine confirms a checkpoint taken among them
    /// (<see cref="ISource.CommittedAsync"/>), and a new reader from that checkpoint, through its stored form, yields
    /// exactly the records after it: the next one seeded after them is the very next it yields.
    /// </summary>
    private async Task StreamFromACheckpointAsync(ISource source)
    {
        const int streamed = 6;
        Checkpoint checkpoint;
        await using (var reader = new BackgroundRead(source, new ReadRequest(SeededColumns, null)))
        {
            await reader.TakeAsync(Seeded);
            await SeedAsync(Seeded + 1, streamed);
            var fresh = await reader.TakeAsync(streamed);
            Assert.Equal(Enumerable.Range(Seeded + 1, streamed).Select(KeyOf), fresh.Select(c => c.Key));
            checkpoint = fresh[1].Position.ToCheckpoint();
            await source.CommittedAsync(checkpoint, CancellationToken.None);
        }

        await using var resumed = CreateSource();
        await using var again = new BackgroundRead(resumed, new ReadRequest(SeededColumns, ThroughStoredForm(checkpoint)));
        var after = await again.TakeAsync(streamed - 2);
        Assert.Equal(Enumerable.Range(Seeded + 3, streamed - 2).Select(KeyOf), after.Select(c => c.Key));
        await SeedAsync(Seeded + streamed + 1, 1);
        Assert.Equal(KeyOf(Seeded + streamed + 1), (await again.TakeAsync(1))[0].Key);
    }

    /// <summary>
    /// The checkpoint as the state store keeps it (format, version and value, each as text) and read back: a source
    /// must resume from what was stored, not from the object it made.
    /// </summary>
    protected static Checkpoint ThroughStoredForm(Checkpoint checkpoint)
    {
        var stored = string.Join('\n', checkpoint.Format, checkpoint.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), checkpoint.Value);
        var parts = stored.Split('\n', 3);
        var back = new Checkpoint(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2]);
        Assert.Equal(checkpoint, back);
        return back;
    }

    /// <summary>
    /// Reads from <paramref name="from"/>: to its end for a source that ends (and then exactly <paramref name="expected"/>
    /// records must have come), or the first <paramref name="expected"/> records of a source that streams.
    /// </summary>
    protected async Task<List<Change>> ReadAsync(ISource source, Checkpoint? from, int expected)
    {
        var request = new ReadRequest(SeededColumns, from);
        if (source.Streams)
        {
            await using var reader = new BackgroundRead(source, request);
            return await reader.TakeAsync(expected);
        }

        using var limit = new CancellationTokenSource(Eventually.DefaultLimit);
        var read = new List<Change>();
        await foreach (var change in source.ReadAsync(request, limit.Token))
        {
            if (!change.IsProgress)
            {
                read.Add(change); // a move of the position alone (Change.Progress) is no record
            }
        }

        Assert.Equal(expected, read.Count);
        return read;
    }
}
