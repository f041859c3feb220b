using Sluice.Core.Configuration;

namespace Sluice.Core.Tests.Configuration;

public sealed class NameSuggestionsTests
{
    private static readonly string[] Keys = ["table", "cursor", "key", "filter", "page_size", "connection"];

    [Theory]
    [InlineData("tabel", "table")]          // swapped letters: one edit in Damerau-Levenshtein
    [InlineData("TABLE", "table")]          // case alone
    [InlineData("curser", "cursor")]
    [InlineData("pagesize", "page_size")]
    [InlineData("page-size", "page_size")]
    [InlineData("conection", "connection")]
    [InlineData("filters", "filter")]
    public void A_close_name_is_suggested(string input, string expected) =>
        Assert.Equal(expected, NameSuggestions.Closest(input, Keys));

    [Theory]
    [InlineData("schedule")]
    [InlineData("x")]                       // replacing every character is not a typo
    [InlineData("")]
    [InlineData("destination")]
    public void A_distant_name_gets_no_suggestion(string input) =>
        Assert.Null(NameSuggestions.Closest(input, Keys));

    [Fact]
    public void The_threshold_grows_with_the_length_of_the_input()
    {
        // 4 edits: allowed for a 12-letter input (12 / 3), not for a 9-letter one (max(2, 3)).
        Assert.Equal("users_to_segment", NameSuggestions.Closest("users_to_seg", ["users_to_segment"]));
        Assert.Null(NameSuggestions.Closest("users_seg", ["users_to_segment"]));
    }

    [Fact]
    public void The_first_of_equally_close_candidates_wins() =>
        Assert.Equal("ab", NameSuggestions.Closest("abc", ["ab", "bc"]));

    [Fact]
    public void No_candidates_means_no_suggestion() =>
        Assert.Null(NameSuggestions.Closest("table", []));
}
