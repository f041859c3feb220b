using Sluice.Postgres.Destinations.Warehouse;
using static Sluice.Postgres.Tests.Warehouse.WarehouseTypesTests;

namespace Sluice.Postgres.Tests.Warehouse;

public sealed class EventFlattenerTests
{
    [Fact]
    public void Nested_context_objects_become_prefixed_columns()
    {
        var result = EventFlattener.Flatten(
            Parse("""{"library":{"name":"analytics-node","version":"3.1.0"},"userAgent":"curl","screen":{"density":2.5}}"""),
            "context", null, "context");

        Assert.Equal(
            ["context_library_name", "context_library_version", "context_user_agent", "context_screen_density"],
            result.Cells.Select(c => c.Column));
        Assert.Equal(WarehouseType.Numeric, result.Cells[3].Type);
        Assert.Empty(result.Rejected);
    }

    [Fact]
    public void Traits_and_properties_are_not_prefixed()
    {
        var result = EventFlattener.Flatten(Parse("""{"address":{"street":"1 Main St","postalCode":"94107"},"product_id":{"sku":"x1"}}"""), null, null, "traits");
        Assert.Equal(["address_street", "address_postal_code", "product_id_sku"], result.Cells.Select(c => c.Column));
    }

    [Fact]
    public void Arrays_are_one_text_column_of_json()
    {
        var result = EventFlattener.Flatten(Parse("""{"product_ids":["507f1","505bd"],"nested":{"list":[{"a":1}]}}"""), null, null, "properties");
        Assert.Equal(
            [("product_ids", WarehouseType.Text, "[\"507f1\",\"505bd\"]"), ("nested_list", WarehouseType.Text, "[{\"a\":1}]")],
            result.Cells.Select(c => (c.Column, c.Type, c.Value!)));
    }

    [Fact]
    public void Null_values_and_empty_objects_make_no_column()
    {
        var result = EventFlattener.Flatten(Parse("""{"a":null,"b":{},"c":{"d":null},"e":0}"""), null, null, "properties");
        Assert.Equal(["e"], result.Cells.Select(c => c.Column));
    }

    [Fact]
    public void A_key_that_is_not_valid_unicode_is_rejected_whole_with_its_key_as_sent()
    {
        var result = EventFlattener.Flatten(Parse("""{"\udc00":1,"a":{"b\ud800":{"c":[1]},"ok":"\ud800"},"\u0000":2}"""), null, null, "properties");

        Assert.Equal([("a_ok", "\uFFFD"), ("_x" + result.Cells[1].Column[2..], "2")], result.Cells.Select(c => (c.Column, c.Value!)));
        Assert.Equal(
            [("\\udc00", "properties.\\udc00", "1"), ("a_b\\ud800", "properties.a.b\\ud800", "{\"c\":[1]}")],
            result.Rejected.Select(r => (r.Column, r.Path, r.Raw)));
        Assert.All(result.Rejected, r => Assert.Contains("not valid Unicode", r.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Reserved_columns_are_rejected_with_their_path()
    {
        var result = EventFlattener.Flatten(
            Parse("""{"userId":"u1","plan":"pro","context":{"ip":"1.2.3.4"}}"""),
            null, c => WarehouseColumns.IsReserved(WarehouseTableKind.Identifies, c), "traits");

        Assert.Equal(["plan"], result.Cells.Select(c => c.Column));
        Assert.Equal(
            [("user_id", "traits.userId", "u1"), ("context_ip", "traits.context.ip", "1.2.3.4")],
            result.Rejected.Select(r => (r.Column, r.Path, r.Raw)));
        Assert.Contains("reserved", result.Rejected[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_fields_with_one_column_keep_the_first_and_reject_the_second()
    {
        var result = EventFlattener.Flatten(Parse("""{"fooBar":1,"foo_bar":2,"foo":{"bar":3}}"""), null, null, "properties");

        Assert.Equal([("foo_bar", "1")], result.Cells.Select(c => (c.Column, c.Value!)));
        Assert.Equal(["properties.foo_bar", "properties.foo.bar"], result.Rejected.Select(r => r.Path));
        Assert.All(result.Rejected, r => Assert.Contains("already taken by properties.fooBar", r.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public void A_payload_that_is_not_an_object_is_rejected_whole()
    {
        var result = EventFlattener.Flatten(Parse("""[1,2]"""), null, null, "properties");
        Assert.Empty(result.Cells);
        Assert.Equal("[1,2]", Assert.Single(result.Rejected).Raw);
    }

    [Fact]
    public void Hostile_keys_become_plain_columns()
    {
        var result = EventFlattener.Flatten(
            Parse("""{"\"; DROP TABLE users; --":1,"a\"b":2,"back\\slash":3,"Größe":4,"":5,"x\u0000y":6}"""), null, null, "properties");

        Assert.Equal(6, result.Cells.Count);
        Assert.All(result.Cells, c => Assert.Matches("^[a-z0-9_]{1,63}$", c.Column));
        Assert.Equal("drop_table_users", result.Cells[0].Column);
    }
}
