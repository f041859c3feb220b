using Sluice.State;

namespace Sluice.Postgres.Tests.State;

/// <summary>
/// <see cref="StoredText"/> decides per string whether it must be escaped, for every key and message id of every commit.
/// The decision is made by vectorized scans, which look at a string in blocks: an unstorable character must be found at
/// any offset, inside a block or past the last full one, and a valid surrogate pair anywhere must still pass unchanged.
/// </summary>
public sealed class StoredTextTests
{
    [Fact]
    public void An_unstorable_character_at_any_offset_is_escaped_and_read_back()
    {
        foreach (var bad in new[] { "\u0000", "\ud800", "\udfff", "\udc00\ud800" })
        {
            for (var at = 0; at <= 70; at++)
            {
                var value = new string('k', at) + bad + new string('z', 70 - at);
                var stored = StoredText.Store(value);
                Assert.NotEqual(value, stored);
                Assert.DoesNotContain('\u0000', stored);
                Assert.Equal(value, StoredText.Read(stored));
            }
        }
    }

    [Fact]
    public void Storable_text_with_valid_surrogate_pairs_is_kept_as_it_is()
    {
        for (var at = 0; at <= 70; at++)
        {
            var value = new string('k', at) + "\ud83d\ude00" + new string('z', 70 - at);
            Assert.Same(value, StoredText.Store(value));
        }

        var messageId = "sluice-0123456789abcdef0123456789abcdef";
        Assert.Same(messageId, StoredText.Store(messageId));
        Assert.Same("", StoredText.Store(""));
    }

    [Fact]
    public void A_string_that_starts_with_the_marker_is_escaped_so_no_two_strings_are_stored_alike()
    {
        var value = "\uffffplain";
        var stored = StoredText.Store(value);
        Assert.NotEqual(value, stored);
        Assert.Equal(value, StoredText.Read(stored));
    }
}
