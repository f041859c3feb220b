using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Tests.Salesforce;

public sealed class SalesforceIdTests
{
    // Test vectors from the reference (§2.9), each checked against a published implementation.
    [Theory]
    [InlineData("a0RE000000IJmcN", "a0RE000000IJmcNMAT")]
    [InlineData("001M000000qfPyS", "001M000000qfPySIAU")]
    [InlineData("a01M00000062mPg", "a01M00000062mPgIAI")]
    [InlineData("aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaAAA")]
    [InlineData("AbCdEfGhIjKlMnO", "AbCdEfGhIjKlMnOVKV")]
    [InlineData("aBcDEfgHIJKLMNO", "aBcDEfgHIJKLMNO025")]
    public void The_checksum_matches_Salesforces_vectors(string id15, string id18)
    {
        Assert.Equal(id18, SalesforceId.To18(id15));
        Assert.True(SalesforceId.TryNormalize(id15, out var from15));
        Assert.Equal(id18, from15);
    }

    [Fact]
    public void An_18_character_id_is_found_whatever_its_case_and_a_wrong_checksum_is_refused()
    {
        Assert.True(SalesforceId.TryNormalize("001M000000QFPYSIAU", out var upper));
        Assert.Equal("001M000000qfPySIAU", upper);
        Assert.True(SalesforceId.TryNormalize("001m000000qfpysiau", out var lower));
        Assert.Equal("001M000000qfPySIAU", lower);
        Assert.False(SalesforceId.TryNormalize("001M000000qfPySJAU", out _)); // J marks the digit 0 upper-case
        Assert.False(SalesforceId.TryNormalize("001M000000qfPyS9AU", out _));
        Assert.False(SalesforceId.TryNormalize("001M000000qfPy", out _));
        Assert.False(SalesforceId.TryNormalize("001M000000qfPy-IAU", out _));
    }

    [Fact]
    public void Created_ids_carry_the_key_prefix_and_a_valid_checksum()
    {
        var id = SalesforceId.Create("003", 123_456);
        Assert.Equal(18, id.Length);
        Assert.StartsWith("003", id, StringComparison.Ordinal);
        Assert.Equal(SalesforceId.To18(id[..15]), id);
        Assert.NotEqual(id, SalesforceId.Create("003", 123_457));
    }
}
