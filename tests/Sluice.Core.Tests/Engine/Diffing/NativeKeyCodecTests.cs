using System.Text;
using Sluice.Core.Engine.Diffing;

namespace Sluice.Core.Tests.Engine.Diffing;

/// <summary>
/// The stored key texts a diff holds as numbers are parsed from their UTF-8 bytes: exactly the canonical text of a
/// value (what PostgreSQL's <c>::text</c> writes) is taken, to its very bounds, and anything else is refused, so that
/// the value written back is always the stored text.
/// </summary>
public sealed class NativeKeyCodecTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("7", 7L)]
    [InlineData("-7", -7L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    [InlineData("1000000", 1_000_000L)]
    public void A_canonical_integer_text_is_its_value(string text, long expected)
    {
        Assert.True(IntegerKeyCodec.TryParse(Encoding.UTF8.GetBytes(text), out var key));
        Assert.Equal(expected, key);
        Assert.Equal(text, IntegerKeyCodec.Format(key));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("-0")]
    [InlineData("00")]
    [InlineData("007")]
    [InlineData("+7")]
    [InlineData(" 7")]
    [InlineData("7 ")]
    [InlineData("7.0")]
    [InlineData("9223372036854775808")]
    [InlineData("-9223372036854775809")]
    [InlineData("99999999999999999999")]
    [InlineData("18446744073709551617")]
    [InlineData("٣")] // an Arabic-Indic digit: a digit to Unicode, not to PostgreSQL
    public void Any_other_text_is_no_integer_key(string text) =>
        Assert.False(IntegerKeyCodec.TryParse(Encoding.UTF8.GetBytes(text), out _));

    [Fact]
    public void A_lower_case_hyphenated_uuid_is_its_bytes_read_big_endian()
    {
        const string text = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

        Assert.True(UuidKeyCodec.TryParse(Encoding.UTF8.GetBytes(text), out var key));
        Assert.Equal(new UInt128(0x0f1e2d3c4b5a6978, 0x8796a5b4c3d2e1f0), key);
        Assert.Equal(text, UuidKeyCodec.Format(key));
    }

    [Theory]
    [InlineData("0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0")]
    [InlineData("0f1e2d3c4b5a69788796a5b4c3d2e1f0")]
    [InlineData("{0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0}")]
    [InlineData("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f")]
    [InlineData("0f1e2d3c-4b5a-6978-8796_a5b4c3d2e1f0")]
    [InlineData("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg")]
    public void Any_other_text_is_no_uuid_key(string text) =>
        Assert.False(UuidKeyCodec.TryParse(Encoding.UTF8.GetBytes(text), out _));
}
