using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Testing.Doubles;
using Xunit;

namespace Sluice.Testing.Conformance;

/// <summary>
/// The cases every destination passes (STYLE.md rule 11): check, deterministic message ids, one result per record in
/// order, an idempotent replay, and a record it cannot take refused alone. A connector's test project derives one
/// class from this per destination and fills in the harness: its own fixture, the records it is fed (as a source of
/// the kind it is meant for yields them) and how to count what it holds. Each case runs on a fresh instance.
/// </summary>
public abstract class DestinationConformance : IAsyncLifetime
{
    /// <summary>How many records a batch of the cases holds.</summary>
    protected const int BatchSize = 10;

    /// <summary>Creates the fixture: a database, schema or emulator of this case's own.</summary>
    protected abstract Task SetUpAsync();

    /// <summary>Removes what the fixture left behind.</summary>
    protected abstract Task TearDownAsync();

    /// <summary>A destination on the fixture.</summary>
    protected abstract IDestination CreateDestination();

    /// <summary>A destination whose setup is wrong in the commonest way (a missing table, a refused key).</summary>
    protected abstract IDestination CreateMisconfiguredDestination();

    /// <summary>The columns of the records the destination is fed, with their key.</summary>
    protected abstract SourceSchema RecordSchema { get; }

    /// <summary>The sync's <c>mapping:</c>; default none (the destination's own reading of the columns).</summary>
    protected virtual MappingSpec Mapping => MappingSpec.None(new ConfigLocation("conformance.yaml", 1, 1, "syncs.conformance"));

    /// <summary>Record <paramref name="i"/>'s key and values by column; the same <paramref name="i"/> gives the same record.</summary>
    protected abstract (string Key, IReadOnlyDictionary<string, object?> Values) Record(int i);

    /// <summary>A record this destination can never take (refused at encoding or by the write), or <c>null</c> if it has no such case.</summary>
    protected abstract IReadOnlyDictionary<string, object?>? Unacceptable(int i);

    /// <summary>How many distinct records the destination holds now.</summary>
    protected abstract Task<long> CountHeldAsync();

    public async Task InitializeAsync() => await SetUpAsync();

    public async Task DisposeAsync() => await TearDownAsync();

    [Fact]
    public async Task Check_passes_on_a_good_setup()
    {
        await using var destination = CreateDestination();

        await destination.CheckAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Check_fails_with_a_classified_error_on_a_bad_setup()
    {
        await using var destination = CreateMisconfiguredDestination();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => destination.CheckAsync(CancellationToken.None));

        var classified = Assert.IsAssignableFrom<SluiceException>(error);
        Assert.True(Enum.IsDefined(classified.Class), $"unclassified: {classified.Class}");
    }

    [Fact]
    public async Task Encode_gives_the_same_change_the_same_message_id_and_other_changes_others()
    {
        await using var destination = CreateDestination();
        var mapping = Compile(destination);

        var first = Enumerable.Range(1, BatchSize).Select(i => destination.Encode(Change(mapping, i), mapping).MessageId).ToList();
        var again = Enumerable.Range(1, BatchSize).Select(i => destination.Encode(Change(mapping, i), mapping).MessageId).ToList();

        Assert.Equal(first, again);
        Assert.Equal(BatchSize, first.Distinct().Count());
    }

    [Fact]
    public async Task A_write_returns_one_result_per_record_and_the_destination_holds_them()
    {
        await using var destination = CreateDestination();
        await destination.CheckAsync(CancellationToken.None);
        var batch = Encode(destination, Enumerable.Range(1, BatchSize));

        var results = await destination.WriteAsync(batch, CancellationToken.None);

        Assert.Equal(Enumerable.Repeat(WriteStatus.Ok, BatchSize), results.Select(r => r.Status));
        Assert.Equal(BatchSize, await CountHeldAsync());
    }

    [Fact]
    public async Task Writing_the_same_batch_twice_holds_each_record_once()
    {
        await using var destination = CreateDestination();
        await destination.CheckAsync(CancellationToken.None);
        var batch = Encode(destination, Enumerable.Range(1, BatchSize));
        Assert.All(await destination.WriteAsync(batch, CancellationToken.None), r => Assert.Equal(WriteStatus.Ok, r.Status));

        // The replay a crash between write and commit causes: the same records, encoded again.
        var replay = await destination.WriteAsync(Encode(destination, Enumerable.Range(1, BatchSize)), CancellationToken.None);

        Assert.Equal(BatchSize, replay.Count);
        Assert.All(replay, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(BatchSize, await CountHeldAsync());
    }

    [Fact]
    public async Task A_record_it_cannot_take_is_refused_alone_and_the_rest_of_the_batch_is_written()
    {
        const int bad = 4;
        await using var destination = CreateDestination();
        await destination.CheckAsync(CancellationToken.None);
        var mapping = Compile(destination);
        var values = Unacceptable(bad);
        if (values is null)
        {
            return; // the harness says this destination takes every record it can be fed
        }

        var refused = new Change(Record(bad).Key, ChangeOperation.Upsert, [.. mapping.Columns.Select(c => values![c])], new TestPosition(bad));

        EncodedRecord? encodedBad = null;
        try
        {
            encodedBad = destination.Encode(refused, mapping);
        }
        catch (SluiceException e) when (e.Class == ErrorClass.RecordRejected)
        {
            // Refused at encoding: the engine dead-letters it and sends the rest.
        }

        var batch = Enumerable.Range(1, BatchSize)
            .Select(i => i == bad ? encodedBad : destination.Encode(Change(mapping, i), mapping))
            .OfType<EncodedRecord>()
            .ToList();
        var results = await destination.WriteAsync(batch, CancellationToken.None);

        Assert.Equal(batch.Count, results.Count);
        var expected = batch.Select(r => r.Change.Key == refused.Key ? WriteStatus.Rejected : WriteStatus.Ok);
        Assert.Equal(expected, results.Select(r => r.Status));
        Assert.Equal(BatchSize - 1, await CountHeldAsync());
    }

    /// <summary>The mapping compiled against the destination's shape, as a sync does at load.</summary>
    protected CompiledMapping Compile(IDestination destination) => CompiledMapping.Compile(Mapping, RecordSchema, destination.Shape);

    /// <summary>Record <paramref name="i"/> as a source yields it: values in the mapping's column order, at position <paramref name="i"/>.</summary>
    protected Change Change(CompiledMapping mapping, int i)
    {
        var (key, values) = Record(i);
        return new Change(key, ChangeOperation.Upsert, [.. mapping.Columns.Select(c => values[c])], new TestPosition(i));
    }

    private List<EncodedRecord> Encode(IDestination destination, IEnumerable<int> records)
    {
        var mapping = Compile(destination);
        return [.. records.Select(i => destination.Encode(Change(mapping, i), mapping))];
    }
}
