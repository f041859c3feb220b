using System.Security.Cryptography;
using System.Text;
using Sluice.Core.Configuration;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Core.Tests.Mapping;

/// <summary>Per-field PII options of the long form: <c>hash</c> (with <c>salt</c>, <c>normalize</c>), <c>mask</c>, <c>drop</c>.</summary>
public sealed class FieldTransformTests
{
    private const string Salt = "pepper-4f1c2d";

    private static readonly ConfigLocation Location = new("sluice.yaml", 1, 1, "mapping");

    private static readonly SourceSchema Users = new(
        "public.users",
        [
            new SourceColumn("id", "bigint", ColumnType.Integer, IsNullable: false),
            new SourceColumn("email", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("card", "text", ColumnType.Text, IsNullable: true),
            new SourceColumn("profile", "jsonb", ColumnType.Json, IsNullable: true),
            new SourceColumn("updated_at", "timestamptz", ColumnType.TimestampWithTimeZone, IsNullable: false),
        ],
        ["id"]);

    private static readonly MappingShape Shape = new(
        "Test identify",
        [
            new MappingTarget("user_id", IsObject: false, Required: false, "the user's id"),
            new MappingTarget("timestamp", IsObject: false, Required: false, "when it happened"),
            new MappingTarget("traits", IsObject: true, Required: false, "named values"),
        ],
        [["user_id"]]);

    [Fact]
    public void A_hashed_field_sends_the_sha256_hex_of_the_value()
    {
        var field = Trait("email", "column: email\nhash: true");

        var sent = Send(field, "jane@example.com");

        Assert.Equal(Sha256("jane@example.com"), sent);
        Assert.Equal("hash", field.Transform);
    }

    [Fact]
    public void Hashing_the_same_value_again_gives_the_same_hash()
    {
        var field = Trait("email", "column: email\nhash: true");

        var first = Send(field, "jane@example.com");
        var other = Send(field, "john@example.com");
        var again = Send(field, "jane@example.com");

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void A_salted_hash_is_an_hmac_keyed_by_the_salt_stable_across_runs_and_unlike_the_unsalted_hash()
    {
        var salted = Trait("email", "column: email\nhash: true\nsalt: ${PII_SALT}");
        var saltedInAnotherRun = Trait("email", "column: email\nhash: true\nsalt: ${PII_SALT}");
        var otherSalt = Trait("email", "column: email\nhash: true\nsalt: ${PII_SALT}", new() { ["PII_SALT"] = "another-salt" });
        var unsalted = Trait("email", "column: email\nhash: true");
        const string Email = "jane@example.com";

        var sent = Send(salted, Email);

        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Salt), Encoding.UTF8.GetBytes("jane@example.com"))), sent);
        Assert.Equal(sent, Send(saltedInAnotherRun, Email));
        Assert.NotEqual(sent, Send(otherSalt, Email));
        Assert.NotEqual(sent, Send(unsalted, Email));
        Assert.Equal("hash, salted", salted.Transform);
        Assert.DoesNotContain(Salt, salted.Transform, StringComparison.Ordinal);
    }

    [Fact]
    public void Normalize_email_trims_and_lower_cases_before_hashing()
    {
        var field = Trait("email", "column: email\nhash: true\nnormalize: email");

        Assert.Equal(Sha256("jane.doe@example.com"), Send(field, "  Jane.Doe@Example.COM\n"));
        Assert.Equal(Sha256("jane.doe@example.com"), Send(field, "jane.doe@example.com"));
        Assert.Equal("hash, email normalized", field.Transform);
    }

    [Fact]
    public void Values_that_are_not_text_are_hashed_in_their_invariant_text_form()
    {
        var mapping = Compile("""
            user_id: {column: id, hash: true}
            timestamp: {column: updated_at, hash: true}
            """);

        Assert.Equal(Sha256("42"), Send(mapping["user_id"]!, 42L));
        Assert.Equal(Sha256("2024-01-02T01:04:05.678Z"), Send(mapping["timestamp"]!, new DateTimeOffset(2024, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(2))));
    }

    [Theory]
    [InlineData("hash: true")]
    [InlineData("hash: true\nsalt: ${PII_SALT}")]
    [InlineData("mask: email")]
    [InlineData("mask: all")]
    [InlineData("mask: last4")]
    [InlineData("normalize: email")]
    public void NULL_stays_NULL_whatever_the_transform(string options)
    {
        var field = Trait("email", $"column: email\n{options}");

        Assert.Null(Send(field, null));
        Assert.Equal(DBNull.Value, Send(field, DBNull.Value));
    }

    [Fact]
    public void An_unreadable_value_passes_through_for_the_encoder_to_dead_letter()
    {
        var unreadable = new UnreadableValue("numeric out of range");
        var field = Trait("email", "column: email\nhash: true");

        Assert.Same(unreadable, Send(field, unreadable));
    }

    [Theory]
    [InlineData("email", "jane.doe@example.com", "j***@example.com")]
    [InlineData("email", "j@example.com", "j***@example.com")]
    [InlineData("email", "not an address", "********")]
    [InlineData("email", "@example.com", "********")]
    [InlineData("all", "anything at all, however long", "********")]
    [InlineData("all", "", "********")]
    [InlineData("last4", "4111111111111234", "************1234")]
    [InlineData("last4", "12345", "*2345")]
    [InlineData("last4", "1234", "****")]
    [InlineData("last4", "12", "**")]
    public void Masks_have_their_documented_shapes(string style, string value, string expected)
    {
        var field = Trait("card", $"column: card\nmask: {style}");

        Assert.Equal(expected, Send(field, value));
        Assert.Equal($"mask {style}", field.Transform);
    }

    [Fact]
    public void A_masked_email_can_be_normalized_first()
    {
        var field = Trait("email", "column: email\nmask: email\nnormalize: email");

        Assert.Equal("j***@example.com", Send(field, " Jane@EXAMPLE.com "));
    }

    [Fact]
    public void Normalize_alone_sends_the_cleaned_address_and_an_already_clean_one_as_it_is()
    {
        var field = Trait("email", "column: email\nnormalize: email");
        const string Clean = "jane@example.com";

        Assert.Equal("jane@example.com", Send(field, " Jane@Example.COM "));
        Assert.Same(Clean, Send(field, Clean));
        Assert.Equal("email normalized", field.Transform);
    }

    [Fact]
    public void A_number_is_masked_in_its_text_form()
    {
        var mapping = Compile("user_id: {column: id, mask: last4}");

        Assert.Equal("****5678", Send(mapping["user_id"]!, 12345678L));
    }

    [Fact]
    public void A_hashed_or_masked_value_is_text_to_the_encoder_whatever_the_column_holds()
    {
        var hashed = Trait("profile", "column: profile\nhash: true");
        var plain = Compile("user_id: id\ntraits:\n  profile: profile")["traits"]!.Children![0];

        Assert.Equal((ColumnType.Text, "jsonb"), (hashed.Column!.Type, hashed.Column.DatabaseType));
        Assert.Equal(ColumnType.Json, plain.Column!.Type);
        Assert.Null(plain.Transform);
    }

    [Fact]
    public void A_dropped_field_is_left_out_of_the_mapping_and_its_column_is_not_read()
    {
        var mapping = Compile("""
            user_id: id
            traits:
              email: {column: email, drop: true}
              card: card
            """);

        var traits = mapping["traits"]!.Children!;
        Assert.Equal(["card"], traits.Select(f => f.Target));
        Assert.Equal(["id", "card"], mapping.Columns);
        Assert.DoesNotContain(mapping.SentFields, f => f.Column == "email");
    }

    [Fact]
    public void A_nested_object_whose_every_field_is_dropped_is_left_out_too()
    {
        var mapping = Compile("""
            user_id: id
            timestamp: {column: updated_at, drop: true}
            traits:
              email: {column: email, drop: true}
            """);

        Assert.Equal(["user_id"], mapping.Fields.Select(f => f.Target));
        Assert.Null(mapping["traits"]);
        Assert.Null(mapping["timestamp"]);
        Assert.Equal(["id"], mapping.Columns);
    }

    [Fact]
    public void Drop_false_sends_the_field()
    {
        var field = Trait("email", "column: email\ndrop: false");

        Assert.Equal("jane@example.com", Send(field, "jane@example.com"));
    }

    [Fact]
    public void A_dropped_field_still_names_a_real_column_but_needs_no_salt()
    {
        var error = Assert.Throws<ConfigException>(() => Compile("user_id: id\ntraits:\n  email: {column: emial, drop: true}"));
        Assert.Contains("did you mean 'email'?", error.Message, StringComparison.Ordinal);

        var mapping = Compile("user_id: id\ntraits:\n  email: {column: email, drop: true, hash: true, salt: \"${UNSET_SALT}\"}");
        Assert.Null(mapping["traits"]);
    }

    [Fact]
    public void An_unknown_option_is_refused_with_a_suggestion()
    {
        var error = Assert.Throws<ConfigException>(() => Trait("email", "column: email\nhahs: true"));

        Assert.Equal("unknown key 'hahs'", error.Problem);
        Assert.Equal("did you mean 'hash'?", error.Fix);
        Assert.Equal("traits.email.hahs", error.Location!.KeyPath);
    }

    [Fact]
    public void An_unknown_option_on_a_dropped_field_is_refused_too()
    {
        var error = Assert.Throws<ConfigException>(() => Trait("email", "column: email\ndrop: true\nmsak: all"));

        Assert.Equal("did you mean 'mask'?", error.Fix);
    }

    [Theory]
    [InlineData("hash: md5", "'hash' must be true or false, not 'md5'")]
    [InlineData("hash: true\nmask: email", "'email' is both hashed and masked")]
    [InlineData("salt: ${PII_SALT}", "'salt' is given, but 'email' is not hashed")]
    [InlineData("hash: true\nsalt: ${EMPTY_SALT}", "'salt' is empty")]
    [InlineData("mask: partial", "'mask' must be one of: email, all, last4; not 'partial'")]
    [InlineData("normalize: phone", "'normalize' must be one of: email; not 'phone'")]
    public void Contradictory_or_unknown_option_values_are_refused(string options, string problem)
    {
        var error = Assert.Throws<ConfigException>(() => Trait("email", $"column: email\n{options}"));

        Assert.Equal(problem, error.Problem);
    }

    [Fact]
    public void An_unset_salt_variable_is_refused_without_hashing_unsalted()
    {
        var error = Assert.Throws<ConfigException>(() => Trait("email", "column: email\nhash: true\nsalt: ${UNSET_SALT}"));

        Assert.Contains("UNSET_SALT", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Normalize_is_refused_on_a_column_that_is_not_text()
    {
        var error = Assert.Throws<ConfigException>(() => Compile("user_id: {column: id, hash: true, normalize: email}"));

        Assert.Equal("'normalize: email' applies to text, and column 'id' is bigint", error.Problem);
    }

    [Fact]
    public void Sent_fields_name_every_leaf_with_its_path_column_and_transform_but_no_value_or_salt()
    {
        var mapping = Compile("""
            user_id: id
            traits:
              email: {column: email, hash: true, salt: "${PII_SALT}", normalize: email}
              card: {column: card, mask: last4}
              hidden: {column: profile, drop: true}
            """);

        Assert.Equal(
            ["user_id ← id", "traits.email ← email (hash, salted, email normalized)", "traits.card ← card (mask last4)"],
            mapping.SentFields.Select(f => f.ToString()));
        Assert.DoesNotContain(mapping.SentFields, f => f.ToString().Contains(Salt, StringComparison.Ordinal));
    }

    [Fact]
    public void Columns_the_destination_reads_itself_are_audited_as_sent()
    {
        var shape = Shape with { ExtraColumns = [("card", Location)] };
        var mapping = CompiledMapping.Compile(Spec("user_id: id"), Users, shape);

        Assert.Equal(["user_id ← id", "card (read by the destination)"], mapping.SentFields.Select(f => f.ToString()));
    }

    [Fact]
    public void Hashing_a_text_value_allocates_only_the_hash_it_returns()
    {
        var field = Trait("email", "column: email\nhash: true\nsalt: ${PII_SALT}\nnormalize: email");
        var row = Row(field, "Jane.Doe@Example.com");
        field.Read(row);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            field.Read(row);
        }

        var perRead = (GC.GetAllocatedBytesForCurrentThread() - before) / 1_000.0;
        // A 64-character string is 20 + 2 × 64 + 2 bytes, rounded up to 152 on 64-bit.
        Assert.True(perRead <= 160, $"{perRead} bytes per read");
    }

    [Fact]
    public void Masking_everything_allocates_nothing()
    {
        var field = Trait("email", "column: email\nmask: all");
        var row = Row(field, "jane@example.com");
        field.Read(row);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            field.Read(row);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>One trait in the long form, compiled: <paramref name="options"/> is its YAML body.</summary>
    private static CompiledField Trait(string name, string options, Dictionary<string, string>? environment = null)
    {
        var indented = string.Join('\n', options.Split('\n').Select(l => "    " + l));
        return Compile($"user_id: id\ntraits:\n  {name}:\n{indented}", environment)["traits"]!.Children![0];
    }

    private static CompiledMapping Compile(string mappingYaml, Dictionary<string, string>? environment = null) =>
        CompiledMapping.Compile(Spec(mappingYaml, environment), Users, Shape);

    private static MappingSpec Spec(string mappingYaml, Dictionary<string, string>? environment = null)
    {
        var env = environment ?? new Dictionary<string, string> { ["PII_SALT"] = Salt, ["EMPTY_SALT"] = "" };
        var section = ConfigSection.Parse(mappingYaml + "\n", "sluice.yaml", env);
        return Sluice.Core.Configuration.Internal.MappingSpecReader.Read(section);
    }

    private static object? Send(CompiledField field, object? value) => field.Read(Row(field, value));

    /// <summary>A change holding <paramref name="value"/> where <paramref name="field"/> reads it.</summary>
    private static Change Row(CompiledField field, object? value)
    {
        var values = new object?[field.Ordinal + 1];
        values[field.Ordinal] = value;
        return new Change("1", ChangeOperation.Upsert, values, new Sluice.Testing.Doubles.TestPosition(0));
    }
}
