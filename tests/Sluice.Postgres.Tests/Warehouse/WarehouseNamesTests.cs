using System.Text;
using Sluice.Postgres.Destinations.Warehouse;

namespace Sluice.Postgres.Tests.Warehouse;

public sealed class WarehouseNamesTests
{
    /// <summary>segmentio/go-snakecase snake_test.go (all 31 distinct vectors), then the vectors of the port
    /// checked in segment.md §2.3, then cases from forks' test suites.</summary>
    public static TheoryData<string, string> GoSnakeCaseVectors => new()
    {
        { "@49L0S145_¬fwHƒ0TSLNVp", "49l0s145_fw_h_0tslnvp" },
        { "lk0B@bFmjrLQ_Z6YL", "lk0_b_b_fmjr_lq_z6yl" },
        { "samPLE text", "sam_ple_text" },
        { "sample text", "sample_text" },
        { "sample-text", "sample_text" },
        { "sample_text", "sample_text" },
        { "sample___text", "sample_text" },
        { "sampleText", "sample_text" },
        { "inviteYourCustomersAddInvites", "invite_your_customers_add_invites" },
        { "sample 2 Text", "sample_2_text" },
        { "   sample   2    Text   ", "sample_2_text" },
        { "   $#$sample   2    Text   ", "sample_2_text" },
        { "SAMPLE 2 TEXT", "sample_2_text" },
        { "___$$Base64Encode", "base64_encode" },
        { "FOO:BAR$BAZ", "foo_bar_baz" },
        { "FOO#BAR#BAZ", "foo_bar_baz" },
        { "something.com", "something_com" },
        { "$something%", "something" },
        { "•¶§ƒ˚foo˙∆˚¬", "foo" },
        { "CStringRef", "cstring_ref" },
        { "5test", "5test" },
        { "test5", "test5" },
        { "THE5r", "the5r" },
        { "5TEst", "5test" },
        { "_5TEst", "5test" },
        { "@%#&5TEst", "5test" },
        { "edf_6N", "edf_6n" },
        { "f_pX9", "f_p_x9" },
        { "p_z9Rg", "p_z9_rg" },
        { "2FA Enabled", "2fa_enabled" },
        { "Enabled 2FA", "enabled_2fa" },
        // segment.md §2.3, a port checked against all upstream vectors
        { "Order Completed", "order_completed" },
        { "Signed Up", "signed_up" },
        { "accountType", "account_type" },
        { "CTA Clicked", "cta_clicked" },
        { "productID", "product_id" },
        { "userId", "user_id" },
        { "Product Viewed (v2)", "product_viewed_v2" },
        { "Cart-Viewed", "cart_viewed" },
        { "context.library.name", "context_library_name" },
        { "Über Event", "ber_event" },
        { "iOS App Opened", "i_os_app_opened" },
        { "HTMLParser", "htmlparser" },
        // forks of go-snakecase
        { "FOO:BAR$BAZ__Sample    Text___", "foo_bar_baz_sample_text" },
        { "here\nis\na\nmultiline\nstring", "here_is_a_multiline_string" },
        { "\"hello world\"", "hello_world" },
        { "super long sentence that is not really necessary but we need to try it", "super_long_sentence_that_is_not_really_necessary_but_we_need_to_try_it" },
        { "", "" },
        { "ẞ", "" },
    };

    [Theory]
    [MemberData(nameof(GoSnakeCaseVectors))]
    public void SnakeCase_matches_go_snakecase(string input, string expected) =>
        Assert.Equal(expected, WarehouseNames.SnakeCase(input));

    [Theory]
    [InlineData("Order Completed", "order_completed")]
    [InlineData("context.library.name", "context_library_name")]
    [InlineData("5test", "_5test")]
    [InlineData("2FA Enabled", "_2fa_enabled")]
    [InlineData("Order", "_order")]
    [InlineData("USER", "_user")]
    [InlineData("group", "_group")]
    [InlineData("current_timestamp", "_current_timestamp")]
    [InlineData("Current Timestamp", "_current_timestamp")]
    [InlineData("orders", "orders")]
    [InlineData("name", "name")]
    [InlineData("\"; DROP TABLE users; --", "drop_table_users")]
    [InlineData("a\"b'c\\d", "a_b_c_d")]
    [InlineData("x\0y", "x_y")]
    [InlineData("Straße Größe", "stra_e_gr_e")]
    public void Column_applies_postgres_safety_after_go_snakecase(string input, string expected) =>
        Assert.Equal(expected, WarehouseNames.Column(input));

    [Theory]
    [InlineData("日本語")]
    [InlineData("$$$")]
    [InlineData("")]
    [InlineData("🙂")]
    public void A_name_with_nothing_left_gets_a_stable_hash_name(string input)
    {
        var name = WarehouseNames.Column(input);
        Assert.Matches("^_x[0-9a-f]{8}$", name);
        Assert.Equal(name, WarehouseNames.Column(input));
    }

    [Fact]
    public void Different_names_with_nothing_left_stay_apart() =>
        Assert.NotEqual(WarehouseNames.Column("日本語"), WarehouseNames.Column("中文"));

    [Fact]
    public void Each_of_the_93_postgres_reserved_keywords_gets_a_prefix()
    {
        // segment.md §2.6, RudderStack's POSTGRES list.
        const string list = "ALL ANALYSE ANALYZE AND ANY ARRAY AS ASC ASYMMETRIC AUTHORIZATION BETWEEN BINARY BOTH CASE CAST CHECK " +
            "COLLATE COLUMN CONSTRAINT CREATE CROSS CURRENT_DATE CURRENT_ROLE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DEFAULT " +
            "DEFERRABLE DESC DISTINCT DO ELSE END EXCEPT FALSE FOR FOREIGN FREEZE FROM FULL GRANT GROUP HAVING ILIKE IN INITIALLY " +
            "INNER INTERSECT INTO IS ISNULL JOIN LEADING LEFT LIKE LIMIT LOCALTIME LOCALTIMESTAMP NATURAL NEW NOT NOTNULL NULL OFF " +
            "OFFSET OLD ON ONLY OR ORDER OUTER OVERLAPS PLACING PRIMARY REFERENCES RIGHT SELECT SESSION_USER SIMILAR SOME SYMMETRIC " +
            "TABLE THEN TO TRAILING TRUE UNION UNIQUE USER USING VERBOSE WHEN WHERE";
        var keywords = list.Split(' ');
        Assert.Equal(93, keywords.Distinct().Count());
        foreach (var keyword in keywords)
        {
            Assert.Equal("_" + keyword.ToLowerInvariant(), WarehouseNames.Column(keyword.ToLowerInvariant()));
            Assert.Equal("_" + keyword.ToLowerInvariant(), WarehouseNames.Table(keyword));
        }
    }

    [Fact]
    public void A_300_character_name_is_cut_to_63_bytes_with_a_hash_of_the_whole()
    {
        var input = string.Concat(Enumerable.Repeat("abcdefghij", 30));
        var name = WarehouseNames.Column(input);

        Assert.Equal(WarehouseNames.MaxIdentifierBytes, Encoding.UTF8.GetByteCount(name));
        Assert.StartsWith(input[..54] + "_", name, StringComparison.Ordinal);
        Assert.Matches("_[0-9a-f]{8}$", name);
        Assert.Equal(name, WarehouseNames.Column(input));
    }

    [Fact]
    public void Names_equal_up_to_the_cut_get_different_columns()
    {
        var stem = new string('a', 70);
        var a = WarehouseNames.Column(stem + " first");
        var b = WarehouseNames.Column(stem + " second");

        Assert.NotEqual(a, b);
        Assert.Equal(a[..55], b[..55]);
        Assert.All(new[] { a, b }, n => Assert.True(Encoding.UTF8.GetByteCount(n) <= 63));
    }

    [Fact]
    public void A_name_of_exactly_63_bytes_is_kept()
    {
        var input = new string('q', 63);
        Assert.Equal(input, WarehouseNames.Column(input));
        Assert.NotEqual(new string('q', 64), WarehouseNames.Column(new string('q', 64)));
    }

    [Fact]
    public void A_long_unicode_name_is_cut_by_bytes_and_stays_ascii()
    {
        var input = string.Concat(Enumerable.Repeat("Größe Ärger ", 40));
        var name = WarehouseNames.Column(input);
        Assert.True(Encoding.UTF8.GetByteCount(name) <= 63);
        Assert.Matches("^[a-z0-9_]+$", name);
    }

    [Theory]
    [InlineData("Tracks", "_tracks")]
    [InlineData("pages", "_pages")]
    [InlineData("Screens", "_screens")]
    [InlineData("aliases", "_aliases")]
    [InlineData("Groups", "_groups")]
    [InlineData("accounts", "_accounts")]
    [InlineData("Identifies", "_identifies")]
    [InlineData("users", "_users")]
    [InlineData("discards", "_discards")]
    [InlineData("Order", "_order")]
    [InlineData("Order Completed", "order_completed")]
    [InlineData("5 Stars", "_5_stars")]
    public void Event_tables_never_take_the_name_of_a_segment_table(string eventName, string expected) =>
        Assert.Equal(expected, WarehouseNames.EventTable(eventName));

    [Theory]
    [InlineData("My Website (prod)", "my_website_prod")]
    [InlineData("pg_catalog", "_pg_catalog")]
    [InlineData("PG Stats", "_pg_stats")]
    [InlineData("information_schema", "_information_schema")]
    [InlineData("public", "public")]
    [InlineData("1st source", "_1st_source")]
    [InlineData("select", "_select")]
    public void Schema_names_follow_the_same_rules_and_avoid_system_schemas(string source, string expected) =>
        Assert.Equal(expected, WarehouseNames.Schema(source));

    [Theory]
    [InlineData("\"; DROP TABLE users; --")]
    [InlineData("Robert'); DROP TABLE students;--")]
    [InlineData("a\\\"b")]
    [InlineData("\u202Ereversed\u202C")]
    [InlineData("tab\there")]
    [InlineData("😀 emoji 😀")]
    public void Every_name_is_plain_lower_case_ascii_within_63_bytes(string hostile)
    {
        foreach (var name in new[] { WarehouseNames.Column(hostile), WarehouseNames.Table(hostile), WarehouseNames.EventTable(hostile), WarehouseNames.Schema(hostile) })
        {
            Assert.Matches("^[a-z0-9_]{1,63}$", name);
        }
    }

    [Fact]
    public void Quote_always_double_quotes_and_doubles_embedded_quotes()
    {
        Assert.Equal("\"order_completed\"", WarehouseNames.Quote("order_completed"));
        Assert.Equal("\"a\"\"b\"", WarehouseNames.Quote("a\"b"));
    }
}
