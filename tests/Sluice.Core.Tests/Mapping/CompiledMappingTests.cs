using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Core.Tests.Mapping;

public sealed class CompiledMappingTests
{
    private static readonly ConfigLocation Location = new("test.yaml", 1, 1, "mapping");

    private static readonly SourceSchema Users = new(
        "public.users",
        [
            new SourceColumn("id", "bigint", ColumnType.Integer, IsNullable: false),
            new SourceColumn("email", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("name", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("city", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("updated_at", "timestamptz", ColumnType.TimestampWithTimeZone, IsNullable: false),
        ],
        ["id"]);

    // Shaped like Segment identify: one of two ids, a free-form object, and a required target to test that rule.
    private static readonly MappingShape Shape = new(
        "Test identify",
        [
            new MappingTarget("user_id", IsObject: false, Required: false, "the user's id"),
            new MappingTarget("anonymous_id", IsObject: false, Required: false, "an anonymous id"),
            new MappingTarget("timestamp", IsObject: false, Required: false, "when it happened"),
            new MappingTarget("traits", IsObject: true, Required: false, "named values"),
        ],
        [["user_id", "anonymous_id"]]);

    [Fact]
    public void An_unknown_column_names_the_table_and_suggests_the_closest_column()
    {
        var spec = Spec(Leaf("user_id", "id"), Branch("traits", Leaf("email", "emial")));

        var error = Assert.Throws<ConfigException>(() => Compile(spec));

        Assert.Contains("column 'emial' does not exist in public.users", error.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'email'?", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("test.yaml:1: mapping: ", error.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorClass.Config, error.Class);
    }

    [Fact]
    public void A_sync_without_a_mapping_is_refused_by_a_destination_that_needs_fields()
    {
        var error = Assert.Throws<ConfigException>(() => Compile(MappingSpec.None(Location)));

        Assert.Equal("test.yaml:1: mapping: missing required key 'mapping'\n  fix: add `mapping:` with the fields Test identify needs as `target: column`, e.g. `user_id: id`", error.Message);
    }

    [Fact]
    public void A_sync_without_a_mapping_compiles_for_a_destination_that_needs_none()
    {
        var wholeEvents = new MappingShape("Test events table", [], []);

        var mapping = CompiledMapping.Compile(MappingSpec.None(Location), Users, wholeEvents);

        Assert.Empty(mapping.Columns);
    }

    [Fact]
    public void An_unknown_column_with_nothing_close_lists_the_columns()
    {
        var spec = Spec(Leaf("user_id", "customer_number"));

        var error = Assert.Throws<ConfigException>(() => Compile(spec));

        Assert.DoesNotContain("did you mean", error.Message, StringComparison.Ordinal);
        Assert.Contains("columns: id, email, name, city, updated_at", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_target_names_the_destination_and_suggests_the_closest_target()
    {
        var spec = Spec(Leaf("user_di", "id"));

        var error = Assert.Throws<ConfigException>(() => Compile(spec));

        Assert.Contains("'user_di' is not something Test identify accepts", error.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'user_id'?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_object_target_given_one_column_is_refused_with_the_nested_form()
    {
        var spec = Spec(Leaf("user_id", "id"), Leaf("traits", "email"));

        var error = Assert.Throws<ConfigException>(() => Compile(spec));

        Assert.Equal("'traits' is an object of named fields, not one column", error.Problem);
        Assert.Contains("traits:\n      email: email", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_one_column_target_given_a_nested_mapping_is_refused()
    {
        var spec = Spec(Branch("user_id", Leaf("id", "id")));

        var error = Assert.Throws<ConfigException>(() => Compile(spec));

        Assert.Equal("'user_id' takes one column, not a nested mapping", error.Problem);
        Assert.Equal("write it as 'user_id: <column>'", error.Fix);
    }

    [Fact]
    public void A_required_target_must_be_mapped()
    {
        var shape = Shape with { Targets = [.. Shape.Targets, new MappingTarget("event", IsObject: false, Required: true, "the event name")] };
        var spec = Spec(Leaf("user_id", "id"));

        var error = Assert.Throws<ConfigException>(() => CompiledMapping.Compile(spec, Users, shape));

        Assert.Equal("Test identify needs 'event' (the event name)", error.Problem);
        Assert.Equal("add 'event: <column>' to the mapping", error.Fix);
    }

    [Fact]
    public void One_of_an_any_of_group_must_be_mapped()
    {
        var spec = Spec(Branch("traits", Leaf("email", "email")));

        var error = Assert.Throws<ConfigException>(() => Compile(spec));

        Assert.Equal("Test identify needs one of 'user_id' or 'anonymous_id'", error.Problem);
        Assert.Equal("map a column to 'user_id', e.g. 'user_id: id'", error.Fix);
    }

    [Theory]
    [InlineData("user_id")]
    [InlineData("anonymous_id")]
    public void Either_member_of_an_any_of_group_satisfies_it(string target)
    {
        var mapping = Compile(Spec(Leaf(target, "id")));

        Assert.NotNull(mapping[target]);
    }

    [Fact]
    public void Columns_lists_each_column_once_in_first_use_order()
    {
        var spec = Spec(
            Leaf("user_id", "id"),
            Branch("traits", Leaf("email", "email"), Leaf("customer_id", "id"), Leaf("name", "name"), Leaf("contact", "email")),
            Leaf("timestamp", "updated_at"));

        var mapping = Compile(spec);

        Assert.Equal(["id", "email", "name", "updated_at"], mapping.Columns);
        var traits = mapping["traits"]!.Children!;
        Assert.Equal([1, 0, 2, 1], traits.Select(f => f.Ordinal));
        Assert.Equal(3, mapping["timestamp"]!.Ordinal);
    }

    [Fact]
    public void Extra_columns_are_read_after_the_mapped_ones_and_never_twice()
    {
        var mapping = CompiledMapping.Compile(Spec(Leaf("user_id", "email")), Users, Shape, extraColumns: ["id", "email", "updated_at"]);

        Assert.Equal(["email", "id", "updated_at"], mapping.Columns);
        Assert.Single(mapping.Fields);
    }

    [Fact]
    public void Nested_branches_compile_to_branches_of_leaves()
    {
        var spec = Spec(
            Leaf("user_id", "id"),
            Branch("traits", Leaf("email", "email"), Branch("address", Leaf("city", "city"), Branch("geo", Leaf("label", "name")))));

        var mapping = Compile(spec);

        var traits = mapping["traits"]!;
        Assert.True(traits.IsBranch);
        Assert.Equal(-1, traits.Ordinal);
        var address = traits.Children![1];
        Assert.Equal("address", address.Target);
        Assert.True(address.IsBranch);
        var city = address.Children![0];
        Assert.Equal(("city", false, ColumnType.Text), (city.Target, city.IsBranch, city.Column!.Type));
        Assert.Equal(mapping.Columns.ToList().IndexOf("city"), city.Ordinal);
        var label = address.Children[1].Children![0];
        Assert.Equal("name", label.Column!.Name);
        Assert.Equal(["id", "email", "city", "name"], mapping.Columns);
    }

    [Fact]
    public void An_unknown_column_deep_in_a_nested_branch_is_still_found()
    {
        var spec = Spec(Leaf("user_id", "id"), Branch("traits", Branch("address", Leaf("city", "cty"))));

        var error = Assert.Throws<ConfigException>(() => Compile(spec));

        Assert.Contains("column 'cty' does not exist in public.users", error.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'city'?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_nested_mapping_is_refused()
    {
        var spec = Spec(Leaf("user_id", "id"), Branch("traits"));

        var error = Assert.Throws<ConfigException>(() => Compile(spec));

        Assert.Equal("'traits' maps no fields", error.Problem);
    }

    [Fact]
    public void A_leaf_without_a_column_is_refused()
    {
        var spec = Spec(Leaf("user_id", null));

        var error = Assert.Throws<ConfigException>(() => Compile(spec));

        Assert.Equal("'user_id' names no column", error.Problem);
    }

    [Fact]
    public void Fields_keep_mapping_order_and_are_found_by_target()
    {
        var mapping = Compile(Spec(Leaf("timestamp", "updated_at"), Leaf("user_id", "id")));

        Assert.Equal(["timestamp", "user_id"], mapping.Fields.Select(f => f.Target));
        Assert.Same(mapping.Fields[1], mapping["user_id"]);
        Assert.Null(mapping["traits"]);
    }

    [Fact]
    public void The_error_points_at_the_line_of_the_faulty_entry()
    {
        var faulty = new FieldSpec("user_id", "uid", null, new ConfigLocation("sluice.yaml", 14, 7, "syncs.users.mapping.user_id"));

        var error = Assert.Throws<ConfigException>(() => Compile(new MappingSpec([faulty], Location)));

        Assert.StartsWith("sluice.yaml:14: syncs.users.mapping.user_id: column 'uid'", error.Message, StringComparison.Ordinal);
        Assert.Equal(14, error.Location?.Line);
    }

    [Fact]
    public void The_long_form_of_a_field_compiles_like_the_short_form()
    {
        var options = ConfigSection.Parse("column: email\n", "sluice.yaml", new Dictionary<string, string>());
        var spec = Spec(Leaf("user_id", "id"), Branch("traits", new FieldSpec("email", "email", null, Location) { Options = options }));

        var email = Compile(spec)["traits"]!.Children![0];

        Assert.Equal(("email", "email"), (email.Target, email.Column!.Name));
    }

    [Fact]
    public void A_per_field_option_that_nothing_applies_is_refused_rather_than_ignored()
    {
        const string yaml = """
            connections:
              app: { type: postgres, database: app }
              segment: { type: segment }
            syncs:
              users_to_segment:
                source: { connection: app, table: public.users }
                destination: { connection: segment }
                mapping:
                  user_id: id
                  traits:
                    email: { column: email, hahs: true }

            """;

        // Refused when the file is read, or at the latest when the mapping is compiled against the source.
        var error = Assert.Throws<ConfigException>(() =>
        {
            var sync = SluiceConfig.Parse(yaml, "sluice.yaml", new Dictionary<string, string>()).Syncs[0];
            Compile(sync.Mapping);
        });

        Assert.Equal("unknown key 'hahs'", error.Problem);
        Assert.Equal("did you mean 'hash'?", error.Fix);
    }

    private static CompiledMapping Compile(MappingSpec spec) => CompiledMapping.Compile(spec, Users, Shape);

    private static MappingSpec Spec(params FieldSpec[] fields) => new(fields, Location);

    private static FieldSpec Leaf(string target, string? column) => new(target, column, null, Location);

    private static FieldSpec Branch(string target, params FieldSpec[] children) => new(target, null, children, Location);
}
