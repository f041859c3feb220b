using System.Text;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Testing.Doubles;

namespace Sluice.Core.Tests.Connectors;

/// <summary>
/// A record whose destination defers both its payload and its message id (Salesforce's Bulk path makes them while its
/// job is processed) makes each on first use, from what the destination prepared, and keeps the message id once made.
/// </summary>
public sealed class EncodedRecordTests
{
    [Fact]
    public void A_deferred_message_id_and_payload_are_made_on_first_use_and_the_id_once()
    {
        var made = 0;
        var record = new EncodedRecord(
            new Change("k-1", ChangeOperation.Upsert, [], new TestPosition(0)),
            "prepared",
            prepared => Encoding.UTF8.GetBytes($"{{\"v\":\"{prepared}\"}}"),
            r =>
            {
                made++;
                return $"id-{r.Change.Key}-{r.Prepared}";
            },
            size: 32);

        Assert.Equal(0, made);
        Assert.Equal("id-k-1-prepared", record.MessageId);
        Assert.Equal("id-k-1-prepared", record.MessageId);
        Assert.Equal(1, made);
        Assert.Equal("{\"v\":\"prepared\"}", Encoding.UTF8.GetString(record.Payload.Span));
        Assert.Equal(32, record.Size);
    }
}
