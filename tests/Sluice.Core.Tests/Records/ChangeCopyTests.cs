using System.Reflection;
using Sluice.Core.Records;
using Sluice.Testing.Doubles;

namespace Sluice.Core.Tests.Records;

/// <summary>
/// A change the engine copies (a fingerprint added to a CDC or cursor change, a lookup's wider values) keeps everything
/// its source said about it: a property lost in a copy is lost for every stage after it (the origin that tells a two-way
/// sync its own writes, the trace that links a batch to its request).
/// </summary>
public sealed class ChangeCopyTests
{
    private static readonly Change Original = new("42", ChangeOperation.Upsert, ["a", 1], new TestPosition(7))
    {
        Kind = ChangeKinds.Changed,
        Fingerprint = [1, 2, 3],
        Watched = new Dictionary<string, string?> { ["plan"] = "pro" },
        Previous = new Dictionary<string, string?> { ["plan"] = "free" },
        StoredAt = DateTimeOffset.UnixEpoch,
        Version = "0/16B3748:1",
        Origin = "sluice_contacts_to_users",
        OwnWrite = true,
        TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    };

    [Fact]
    public void A_fingerprinted_copy_keeps_every_other_property()
    {
        var copy = Original.WithFingerprint([9, 9]);
        Assert.Equal([9, 9], copy.Fingerprint);
        AssertKept(copy, nameof(Change.Fingerprint));
        Assert.Same(Original.Values, copy.Values);
    }

    [Fact]
    public void A_copy_with_other_values_keeps_every_other_property()
    {
        var copy = Original.WithValues(["b", 2, "wider"]);
        Assert.Equal(["b", 2, "wider"], copy.Values);
        AssertKept(copy, nameof(Change.Values));
    }

    /// <summary>Every public property but <paramref name="changed"/> equal to the original's, found by reflection so a new one is covered too.</summary>
    private static void AssertKept(Change copy, string changed)
    {
        foreach (var property in typeof(Change).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name != changed))
        {
            var expected = property.GetValue(Original);
            Assert.True(Equals(expected, property.GetValue(copy)) || (expected is byte[] bytes && bytes.SequenceEqual((byte[])property.GetValue(copy)!)),
                $"{property.Name} was not carried over");
        }

        // The test is only as good as its original: every property a source may set, set to something other than its default.
        foreach (var property in typeof(Change).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
        {
            var value = property.GetValue(Original);
            Assert.False(value is null || value.Equals(property.PropertyType.IsValueType ? Activator.CreateInstance(property.PropertyType) : null), $"the original sets no {property.Name}");
        }
    }
}
