using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Postgres.Destinations.Records;
using Sluice.Testing;
using Sluice.Testing.Doubles;

namespace Sluice.Postgres.Tests.Records;

/// <summary>
/// What encoding a record costs: the JSON payload (kept only for a dead letter, a replay or a plan) is built when first
/// asked for, and a diffed record's message id is its key and fingerprint, with no hash of its own.
/// </summary>
public sealed class RecordsEncodeTests : IAsyncLifetime
{
    private RecordsBed _bed = null!;

    public async Task InitializeAsync()
    {
        _bed = new RecordsBed(await TestPostgres.CreateDataSourceAsync(nameof(RecordsEncodeTests)));
        await _bed.CreateTablesAsync();
    }

    public async Task DisposeAsync() => await _bed.Db.DisposeAsync();

    [Fact]
    public async Task A_batch_is_written_without_building_a_payload_and_one_is_built_only_when_asked_for()
    {
        await using var destination = _bed.Destination(RecordsMode.Sync, new Dictionary<string, string> { ["big"] = "lifetime_value > 5" });
        var mapping = await MappingAsync(destination);
        var changes = new[] { Diffed(_bed.Upsert(1, "a@x", 10m, "pro")), Diffed(_bed.Upsert(2, "b@x", 1m, null)), _bed.Delete(3) };
        var before = RecordsPayload.Built;

        var batch = changes.Select(c => destination.Encode(c, mapping)).ToList();
        var results = await destination.WriteAsync(batch, CancellationToken.None);

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(["(1,a@x,10,pro)", "(2,b@x,1,)"], await _bed.RowsAsync());
        Assert.Equal(before, RecordsPayload.Built);

        var payload = System.Text.Encoding.UTF8.GetString(batch[0].Payload.Span);
        Assert.Equal("""{"key":"1","delete":false,"columns":[["id","bigint",1],["email","text","a@x"],["lifetime_value","numeric",10],["plan","text","pro"]],"groups":["big"]}""", payload);
        Assert.Equal(before + 1, RecordsPayload.Built);
        // Counted in a batch's bytes by a bound that is never less than the payload.
        Assert.InRange(batch[0].Payload.Length, 1, batch[0].Size);
    }

    [Fact]
    public async Task A_diffed_record_is_identified_by_its_key_and_fingerprint_so_the_same_version_keeps_its_id()
    {
        await using var destination = _bed.Destination(RecordsMode.Sync);
        var mapping = await MappingAsync(destination);
        var fingerprint = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var change = new Change("1", ChangeOperation.Upsert, [1L, "a@x", 10m, null], new TestPosition(1)) { Kind = ChangeKinds.Added, Fingerprint = fingerprint };
        var other = new Change("1", ChangeOperation.Upsert, [1L, "b@x", 10m, null], new TestPosition(2)) { Kind = ChangeKinds.Changed, Fingerprint = [.. fingerprint.Reverse()] };

        var id = destination.Encode(change, mapping).MessageId;

        Assert.Equal("1:0102030405060708090a0b0c0d0e0f10", id);
        Assert.Equal(id, destination.Encode(change, mapping).MessageId);
        Assert.NotEqual(id, destination.Encode(other, mapping).MessageId);
    }

    [Fact]
    public async Task A_row_the_table_refuses_keeps_a_payload_that_a_replay_writes_once_the_table_takes_it()
    {
        await TestSql.ExecuteAsync(_bed.Db, $"ALTER TABLE {_bed.Table} ADD CONSTRAINT no_blocked CHECK (plan IS DISTINCT FROM 'blocked')");
        await using var destination = _bed.Destination(RecordsMode.Sync, new Dictionary<string, string> { ["big"] = "lifetime_value > 5" });
        var mapping = await MappingAsync(destination);
        var refused = destination.Encode(Diffed(_bed.Upsert(7, "g@x", 70m, "blocked")), mapping);

        var error = await Assert.ThrowsAsync<SluiceException>(() => destination.WriteAsync([refused], CancellationToken.None));
        Assert.Equal(ErrorClass.RecordRejected, error.Class);

        // What the dead letter keeps (the payload, built now), replayed as `sluice dlq replay` does: no prepared row.
        var stored = refused.Payload.ToArray();
        await TestSql.ExecuteAsync(_bed.Db, $"ALTER TABLE {_bed.Table} DROP CONSTRAINT no_blocked");
        var replay = new EncodedRecord(new Change("7", ChangeOperation.Upsert, [], new TestPosition(9)), refused.MessageId, stored);
        var results = await destination.WriteAsync([replay], CancellationToken.None);

        Assert.Equal(WriteStatus.Ok, Assert.Single(results).Status);
        Assert.Equal(["(7,g@x,70,blocked)"], await _bed.RowsAsync());
        Assert.Equal(["(7,big)"], await _bed.GroupsAsync());
    }

    /// <summary>The change as a diffing source hands it on: with its fingerprint.</summary>
    private static Change Diffed(Change change) =>
        new(change.Key, change.Operation, change.Values, change.Position) { Kind = ChangeKinds.Added, Fingerprint = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(change.Key))[..16] };

    private async Task<CompiledMapping> MappingAsync(IDestination destination) =>
        CompiledMapping.Compile(_bed.Mapping, RecordsBed.Schema, await DestinationShapes.ResolveAsync(destination, CancellationToken.None));
}
