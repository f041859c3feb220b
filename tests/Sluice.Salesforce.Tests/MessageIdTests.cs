using System.Security.Cryptography;
using System.Text;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Testing.Doubles;

namespace Sluice.Salesforce.Tests;

/// <summary>
/// A record's message id (kept in the send ledger, shown by explain) is <c>sluice-</c> and the first 16 bytes of SHA-256
/// over <c>sync\nobject\noperation\nkey\nversion\n</c> and the JSON payload, whatever way the encoder computes it.
/// </summary>
public sealed class MessageIdTests : IAsyncLifetime
{
    private SalesforceBed _bed = null!;

    public async Task InitializeAsync() => _bed = await SalesforceBed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task A_message_id_is_the_hash_of_its_definition_and_a_refused_record_leaves_the_next_one_whole()
    {
        var destination = SalesforceBed.Destination(_bed.Client(), SalesforceBed.Upsert());
        var shape = await DestinationShapes.ResolveAsync(destination, CancellationToken.None);
        var mapping = CompiledMapping.Compile(SalesforceBed.AccountMapping, SalesforceBed.Accounts, shape);
        // A value the org would refuse (a long name) throws mid-record; the records after it are encoded whole.
        Assert.Throws<SluiceException>(() => destination.Encode(SalesforceBed.Change(mapping, "acct-0", SalesforceBed.Account(0, name: new string('x', 300))), mapping));

        foreach (var (key, version, operation) in new[] { ("acct-1", (string?)null, ChangeOperation.Upsert), ("ключ-2", "v7", ChangeOperation.Upsert), ("acct-3", "1", ChangeOperation.Delete) })
        {
            var values = SalesforceBed.Account(2);
            var change = new Change(key, operation, operation == ChangeOperation.Delete ? new object?[mapping.Columns.Count] : [.. mapping.Columns.Select(c => values[c])], new TestPosition(0))
            {
                Version = version,
            };
            var encoded = destination.Encode(change, mapping);

            var header = Encoding.UTF8.GetBytes($"test\nAccount\n{operation}\n{key}\n{version}\n");
            var expected = "sluice-" + Convert.ToHexStringLower(SHA256.HashData([.. header, .. encoded.Payload.ToArray()]).AsSpan(0, 16));
            Assert.Equal(expected, encoded.MessageId);
            Assert.StartsWith("{", Encoding.UTF8.GetString(encoded.Payload.Span), StringComparison.Ordinal);
            Assert.EndsWith("}", Encoding.UTF8.GetString(encoded.Payload.Span), StringComparison.Ordinal);
        }
    }
}
