using Sluice.Core.Configuration;
using Sluice.Core.Errors;

namespace Sluice.Core.Tests.Configuration;

public sealed class ConfigSectionTests
{
    private static ConfigSection Section(string yaml, IReadOnlyDictionary<string, string>? environment = null) =>
        ConfigSection.Parse(yaml, "sluice.yaml", environment ?? new Dictionary<string, string>());

    [Fact]
    public void Keys_are_in_file_order_and_absent_or_empty_values_read_as_null()
    {
        var section = Section("b: 1\na: two\nempty:\ntilde: ~\nquoted: ''\n");

        Assert.Equal(["b", "a", "empty", "tilde", "quoted"], section.Keys);
        Assert.Equal("two", section.GetString("a"));
        Assert.Null(section.GetString("missing"));
        Assert.Null(section.GetString("empty"));
        Assert.Null(section.GetInt("tilde"));
        Assert.Equal("", section.GetString("quoted"));
        Assert.True(section.Has("a"));
        Assert.False(section.Has("empty"));
        Assert.False(section.Has("missing"));
    }

    [Fact]
    public void A_nested_section_has_a_path_and_the_line_of_its_key()
    {
        var root = Section("syncs:\n  users:\n    source:\n      table: public.users\n");
        var source = root.GetSection("syncs")!.GetSection("users")!.GetSection("source")!;

        Assert.Equal("syncs.users.source", source.Path);
        Assert.Equal(new ConfigLocation("sluice.yaml", 3, 5, "syncs.users.source"), source.Location);
        Assert.Equal(new ConfigLocation("sluice.yaml", 4, 14, "syncs.users.source.table"), source.LocationOf("table"));
        Assert.Equal(source.Location, source.LocationOf("absent"));
        Assert.Same(source, root.GetSection("syncs")!.GetSection("users")!.GetSection("source"));
    }

    [Fact]
    public void A_location_prints_as_file_and_line() =>
        Assert.Equal("sluice.yaml:4", new ConfigLocation("sluice.yaml", 4, 14, "a.b").ToString());

    [Fact]
    public void Reading_a_mapping_as_a_value_is_an_error()
    {
        var error = Assert.Throws<ConfigException>(() => Section("source:\n  table: x\n").GetString("source"));

        Assert.Equal("sluice.yaml:1: source: 'source' must be a single value, not a mapping", error.Message);
        Assert.Equal(ErrorClass.Config, error.Class);
        Assert.False(error.IsRetryable);
    }

    [Fact]
    public void Reading_a_value_as_a_section_is_an_error() =>
        Assert.Equal(
            "sluice.yaml:1: source: 'source' must be a mapping (keys indented below it), not a single value",
            Assert.Throws<ConfigException>(() => Section("source: users\n").GetSection("source")).Message);

    [Fact]
    public void A_missing_required_key_names_the_section_and_the_fix()
    {
        var source = Section("source:\n  connection: app\n").GetSection("source")!;

        var error = Assert.Throws<ConfigException>(() => source.RequireString("table", "name the table, e.g. 'table: public.users'"));

        Assert.Equal("sluice.yaml:1: source: missing required key 'table'\n  fix: name the table, e.g. 'table: public.users'", error.Message);
        Assert.Equal("missing required key 'table'", error.Problem);
        Assert.Equal("name the table, e.g. 'table: public.users'", error.Fix);
        Assert.Equal(1, error.Location!.Line);
    }

    [Fact]
    public void A_missing_required_key_points_at_a_misspelling_of_it()
    {
        var source = Section("source:\n  connection: app\n  tabel: public.users\n").GetSection("source")!;

        var error = Assert.Throws<ConfigException>(() => source.RequireString("table", "name the table"));

        Assert.Equal(
            "sluice.yaml:3: source.tabel: missing required key 'table'\n  fix: 'tabel' looks like a misspelling: rename it to 'table'",
            error.Message);
    }

    [Fact]
    public void An_empty_required_value_says_so()
    {
        var section = Section("table: ''\npassword: ${EMPTY}\n", new Dictionary<string, string> { ["EMPTY"] = "" });

        Assert.Equal(
            "sluice.yaml:1: table: missing required key 'table': its value is empty\n  fix: name it",
            Assert.Throws<ConfigException>(() => section.RequireString("table", "name it")).Message);
        Assert.Equal(
            "sluice.yaml:2: password: missing required key 'password': its value ${EMPTY} is empty\n  fix: set it",
            Assert.Throws<ConfigException>(() => section.RequireString("password", "set it")).Message);
    }

    [Fact]
    public void A_missing_required_section_is_an_error_with_the_fix() =>
        Assert.Equal(
            "sluice.yaml:1: missing required key 'source'\n  fix: add a source",
            Assert.Throws<ConfigException>(() => Section("mapping: {a: b}\n").RequireSection("source", "add a source")).Message);

    [Fact]
    public void Whole_numbers_are_parsed_and_checked_against_their_range()
    {
        var section = Section("port: 5432\nbig: 10_000\nnegative: -3\nfar: 70000\nword: many\nfraction: 1.5\n");

        Assert.Equal(5432, section.GetInt("port", 1, 65535));
        Assert.Equal(10_000, section.GetInt("big"));
        Assert.Equal(-3, section.GetInt("negative"));
        Assert.Null(section.GetInt("absent", 1, 2));
        Assert.Equal(
            "sluice.yaml:4: far: 'far' is 70000, but must be between 1 and 65535\n  fix: use a value between 1 and 65535",
            Assert.Throws<ConfigException>(() => section.GetInt("far", 1, 65535)).Message);
        Assert.Equal(
            "sluice.yaml:5: word: 'word' must be a whole number, not 'many'\n  fix: write a whole number without quotes or units, e.g. 100",
            Assert.Throws<ConfigException>(() => section.GetInt("word")).Message);
        Assert.Equal(
            "sluice.yaml:6: fraction: 'fraction' must be a whole number, not '1.5'\n  fix: write a whole number at least 1",
            Assert.Throws<ConfigException>(() => section.GetInt("fraction", min: 1)).Message);
        Assert.Equal(
            "sluice.yaml:3: negative: 'negative' is -3, but must be at least 0\n  fix: use a value at least 0",
            Assert.Throws<ConfigException>(() => section.GetInt("negative", min: 0)).Message);
    }

    [Fact]
    public void Numbers_are_parsed_with_the_invariant_culture_and_checked()
    {
        var section = Section("rate: 0.5\nhuge: 1e3\nbad: 1,5\nnan: .nan\n");

        Assert.Equal(0.5, section.GetDouble("rate"));
        Assert.Equal(1000, section.GetDouble("huge"));
        Assert.Contains("'bad' must be a number, not '1,5'", Assert.Throws<ConfigException>(() => section.GetDouble("bad")).Message, StringComparison.Ordinal);
        Assert.Contains("'nan' must be a number", Assert.Throws<ConfigException>(() => section.GetDouble("nan")).Message, StringComparison.Ordinal);
        Assert.Contains("'rate' is 0.5, but must be at most 0.1", Assert.Throws<ConfigException>(() => section.GetDouble("rate", max: 0.1)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("False", false)]
    [InlineData("yes", true)]
    [InlineData("off", false)]
    public void Booleans_accept_the_usual_spellings(string text, bool expected) =>
        Assert.Equal(expected, Section($"flag: {text}\n").GetBool("flag"));

    [Fact]
    public void A_boolean_that_is_not_one_is_an_error() =>
        Assert.Equal(
            "sluice.yaml:1: flag: 'flag' must be true or false, not 'maybe'\n  fix: write true or false",
            Assert.Throws<ConfigException>(() => Section("flag: maybe\n").GetBool("flag")).Message);

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("5s", 5_000)]
    [InlineData("1m", 60_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1m 30s", 90_000)]
    [InlineData("0", 0)]
    public void Durations_take_a_unit(string text, long milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Section($"delay: {text}\n").GetDuration("delay"));

    [Fact]
    public void A_duration_without_a_unit_is_an_error_naming_the_units() =>
        Assert.Equal(
            "sluice.yaml:1: base_delay: 'base_delay' is 500 without a unit\n  fix: write it with a unit, e.g. 500ms or 500s (units: ms, s, m, h, d)",
            Assert.Throws<ConfigException>(() => Section("base_delay: 500\n").GetDuration("base_delay")).Message);

    [Theory]
    [InlineData("5 minutes")]
    [InlineData("-5s")]
    [InlineData("5M")]
    [InlineData("soon")]
    public void A_duration_that_is_not_one_is_an_error(string text) =>
        Assert.Equal(
            $"sluice.yaml:1: delay: 'delay' must be a duration, not '{text}'\n  fix: write a number and a unit, e.g. 250ms, 5s, 1m, 2h or 1d (units: ms, s, m, h, d)",
            Assert.Throws<ConfigException>(() => Section($"delay: {text}\n").GetDuration("delay")).Message);

    [Theory]
    [InlineData("verify-full", TestSslMode.VerifyFull)]
    [InlineData("verify_full", TestSslMode.VerifyFull)]
    [InlineData("VERIFY-CA", TestSslMode.VerifyCA)]
    [InlineData("Prefer", TestSslMode.Prefer)]
    public void Enums_are_case_insensitive_in_kebab_or_snake_case(string text, TestSslMode expected) =>
        Assert.Equal(expected, Section($"ssl_mode: {text}\n").GetEnum<TestSslMode>("ssl_mode"));

    [Fact]
    public void An_unknown_enum_value_lists_the_allowed_values_and_suggests_one()
    {
        var error = Assert.Throws<ConfigException>(() => Section("ssl_mode: verify-fll\n").GetEnum<TestSslMode>("ssl_mode"));

        Assert.Equal(
            "sluice.yaml:1: ssl_mode: 'ssl_mode' must be one of: disable, prefer, verify-ca, verify-full; not 'verify-fll'\n  fix: did you mean 'verify-full'?",
            error.Message);
    }

    [Fact]
    public void Enum_values_are_listed_in_the_style_the_user_wrote_and_numbers_are_refused()
    {
        Assert.Contains(
            "must be one of: disable, prefer, verify_ca, verify_full; not 'verify_x'",
            Assert.Throws<ConfigException>(() => Section("ssl_mode: verify_x\n").GetEnum<TestSslMode>("ssl_mode")).Message,
            StringComparison.Ordinal);
        Assert.Throws<ConfigException>(() => Section("ssl_mode: 1\n").GetEnum<TestSslMode>("ssl_mode"));
    }

    [Fact]
    public void String_lists_take_one_value_or_a_sequence()
    {
        var section = Section("one: id\nflow: [id, tenant_id]\nblock:\n  - a\n  - b\nnested: [[a]]\nmap: {a: b}\n");

        Assert.Equal(["id"], section.GetStringList("one")!);
        Assert.Equal(["id", "tenant_id"], section.GetStringList("flow")!);
        Assert.Equal(["a", "b"], section.GetStringList("block")!);
        Assert.Null(section.GetStringList("absent"));
        Assert.Equal(
            "sluice.yaml:6: nested[0]: item 1 of 'nested' must be a single value, not a list\n  fix: write the list as [a, b] or as '- a' lines",
            Assert.Throws<ConfigException>(() => section.GetStringList("nested")).Message);
        Assert.Contains("'map' must be a value or a list of values, not a mapping", Assert.Throws<ConfigException>(() => section.GetStringList("map")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Section_lists_give_one_section_per_item()
    {
        var items = Section("references:\n  - {column: user_id, table: users}\n  - column: account_id\n").GetSectionList("references")!;

        Assert.Equal(2, items.Count);
        Assert.Equal("users", items[0].GetString("table"));
        Assert.Equal("references[1]", items[1].Path);
        Assert.Equal(3, items[1].Location.Line);
    }

    [Fact]
    public void Unknown_keys_are_rejected_with_a_suggestion_from_the_keys_that_were_read()
    {
        var source = Section("source:\n  table: users\n  cursor: updated_at\n  pag_size: 10\n").GetSection("source")!;
        source.GetString("table");
        source.GetString("cursor");
        source.GetInt("page_size");

        var error = Assert.Throws<ConfigException>(source.RejectUnknownKeys);

        Assert.Equal("sluice.yaml:4: source.pag_size: unknown key 'pag_size'\n  fix: did you mean 'page_size'?", error.Message);
        Assert.Equal(new ConfigLocation("sluice.yaml", 4, 3, "source.pag_size"), error.Location);
    }

    [Fact]
    public void An_unknown_key_without_a_close_match_lists_the_valid_keys()
    {
        var section = Section("table: users\nwhatever: 1\n");
        section.GetString("table");
        section.Has("cursor");

        Assert.Equal(
            "sluice.yaml:2: whatever: unknown key 'whatever'\n  fix: remove it; valid keys here: table, cursor",
            Assert.Throws<ConfigException>(section.RejectUnknownKeys).Message);
    }

    [Fact]
    public void An_unknown_key_next_to_the_key_it_misspells_is_reported_as_redundant()
    {
        var section = Section("table: users\ntabel: users\n");
        section.GetString("table");

        Assert.Equal(
            "sluice.yaml:2: tabel: unknown key 'tabel'\n  fix: 'table' is already set at line 1; remove 'tabel'",
            Assert.Throws<ConfigException>(section.RejectUnknownKeys).Message);
    }

    [Fact]
    public void Keys_read_or_also_allowed_pass()
    {
        var section = Section("type: postgres\nhost: db\nssl_root_cert: /ca.pem\n");
        section.GetString("host");

        section.RejectUnknownKeys(["type", "ssl_root_cert"]);
        Assert.Throws<ConfigException>(section.RejectUnknownKeys);
    }

    [Fact]
    public void Secrets_never_print_and_errors_about_them_do_not_quote_them()
    {
        var section = Section("password: hunter2\nempty: ''\n");

        var secret = section.GetSecret("password")!;

        Assert.Equal("hunter2", secret.Reveal());
        Assert.Equal("********", secret.ToString());
        Assert.Equal("********", $"{secret}");
        Assert.Null(section.GetSecret("empty"));
        Assert.Null(section.GetSecret("absent"));
        var error = Assert.Throws<ConfigException>(() => section.GetInt("password"));
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mapping_key_must_be_a_plain_name() =>
        Assert.Contains(
            "a key must be a plain name, not a mapping",
            Assert.Throws<ConfigException>(() => Section("? {a: b}\n: c\n")).Message,
            StringComparison.Ordinal);

    public enum TestSslMode
    {
        Disable,
        Prefer,
        VerifyCA,
        VerifyFull,
    }
}
