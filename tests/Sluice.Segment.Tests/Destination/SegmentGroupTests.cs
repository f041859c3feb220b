using Sluice.Core.Configuration;
using Sluice.Core.Errors;

namespace Sluice.Segment.Tests.Destination;

/// <summary>Group calls (S3): an account's id and traits, tied to a user.</summary>
public sealed class SegmentGroupTests : IAsyncDisposable
{
    private const string Mapping = """
        group_id: account_id
        user_id: user_id
        timestamp: updated_at
        traits:
          plan: plan
          mrr: total
        """;

    private readonly EncodingBed _bed = new();

    [Fact]
    public void A_group_call_carries_the_group_id_the_user_and_the_accounts_traits()
    {
        var (destination, mapping) = _bed.Sync("call: group", Mapping);

        using var json = EncodingBed.Encode(destination, mapping).Json;

        var root = json.RootElement;
        Assert.Equal("group", root.GetProperty("type").GetString());
        Assert.Equal("acme", root.GetProperty("groupId").GetString());
        Assert.Equal("42", root.GetProperty("userId").GetString());
        Assert.Equal("pro", root.GetProperty("traits").GetProperty("plan").GetString());
        Assert.Equal(129.90m, root.GetProperty("traits").GetProperty("mrr").GetDecimal());
        Assert.Equal(["type", "userId", "groupId", "timestamp", "traits", "context", "messageId"], root.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void A_numeric_group_id_is_sent_as_a_string()
    {
        var (destination, mapping) = _bed.Sync("call: group", "group_id: id\nanonymous_id: anon");

        using var json = EncodingBed.Encode(destination, mapping).Json;

        Assert.Equal("1001", json.RootElement.GetProperty("groupId").GetString());
    }

    [Fact]
    public void A_null_group_id_rejects_the_record()
    {
        var (destination, mapping) = _bed.Sync("call: group", Mapping);
        var row = EncodingBed.Row();
        row["account_id"] = null;

        var error = Assert.Throws<SluiceException>(() => EncodingBed.Encode(destination, mapping, row));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Contains("group_id is NULL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_without_user_id_or_anonymous_id_in_the_row_is_rejected()
    {
        var (destination, mapping) = _bed.Sync("call: group", Mapping);
        var row = EncodingBed.Row();
        row["user_id"] = null;

        var error = Assert.Throws<SluiceException>(() => EncodingBed.Encode(destination, mapping, row));

        Assert.Contains("user_id and anonymous_id are both NULL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_mapping_without_group_id_is_a_config_error()
    {
        var error = Assert.Throws<ConfigException>(() => _bed.Sync("call: group", "user_id: user_id\ntraits:\n  plan: plan"));

        Assert.Contains("Segment group needs 'group_id'", error.Message, StringComparison.Ordinal);
        Assert.Contains("fix: add 'group_id: <column>' to the mapping", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_mapping_without_a_user_is_a_config_error_because_segment_drops_such_calls()
    {
        var error = Assert.Throws<ConfigException>(() => _bed.Sync("call: group", "group_id: account_id\ntraits:\n  plan: plan"));

        Assert.Contains("Segment group needs one of 'user_id' or 'anonymous_id'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_users_of_one_account_get_different_message_ids()
    {
        var (destination, mapping) = _bed.Sync("call: group", Mapping);
        var other = EncodingBed.Row();
        other["user_id"] = 43L;

        Assert.NotEqual(EncodingBed.Encode(destination, mapping).MessageId, EncodingBed.Encode(destination, mapping, other).MessageId);
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();
}
