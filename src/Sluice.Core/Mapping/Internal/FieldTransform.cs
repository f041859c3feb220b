using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Sluice.Core.Configuration;
using Sluice.Core.Records;

namespace Sluice.Core.Mapping.Internal;

/// <summary>
/// What a mapping leaf does to its column's value before it leaves: hash it (SHA-256, or HMAC-SHA256
/// keyed by a salt), mask it, and/or normalize an email address. NULL stays NULL and an unreadable
/// value passes through (the encoder dead-letters it); everything else becomes a string.
/// </summary>
/// <remarks>
/// Runs for every record and field, so it allocates nothing but its result for the common types, and a
/// hashing transform keeps one hash context for its whole life. That context makes <see cref="Apply"/>
/// unsafe to call from two threads at once: a compiled mapping belongs to one run, whose one encode
/// stage reads it.
/// </remarks>
internal sealed class FieldTransform
{
    private const string AllMasked = "********";
    private const int StackLimit = 512;

    private readonly IncrementalHash? _hash;
    private readonly MaskStyle? _mask;
    private readonly bool _normalizeEmail;
    private readonly ColumnType _sourceType;

    private FieldTransform(IncrementalHash? hash, MaskStyle? mask, bool normalizeEmail, ColumnType sourceType, string description)
    {
        _hash = hash;
        _mask = mask;
        _normalizeEmail = normalizeEmail;
        _sourceType = sourceType;
        Description = description;
    }

    /// <summary>How the audit log and messages name it: <c>hash</c>, <c>hash, salted</c>, <c>mask email</c>, <c>email normalized</c>…</summary>
    public string Description { get; }

    /// <summary>SHA-256 of the value's text, in lower-case hex; with a salt, HMAC-SHA256 keyed by the salt's UTF-8 bytes.</summary>
    public static FieldTransform Hash(Secret? salt, FieldNormalization? normalize, ColumnType sourceType)
    {
        var hash = salt is null
            ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256)
            : IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(salt.Reveal()));
        return new FieldTransform(hash, null, normalize is not null, sourceType, Describe(salt is null ? "hash" : "hash, salted", normalize));
    }

    public static FieldTransform Mask(MaskStyle style, FieldNormalization? normalize, ColumnType sourceType) =>
        new(null, style, normalize is not null, sourceType, Describe($"mask {style.ToString().ToLowerInvariant()}", normalize));

    public static FieldTransform Normalize(ColumnType sourceType) =>
        new(null, null, normalizeEmail: true, sourceType, Describe(null, FieldNormalization.Email));

    public object? Apply(object? value)
    {
        if (value is null or DBNull or UnreadableValue)
        {
            return value;
        }

        Span<char> scratch = stackalloc char[CanonicalText.ScratchLength];
        var text = CanonicalText.Of(value, scratch, _sourceType);
        char[]? rented = null;
        try
        {
            if (_normalizeEmail)
            {
                text = text.Trim();
                if (ChangesWhenLowered(text))
                {
                    var lower = text.Length <= StackLimit ? stackalloc char[text.Length] : (rented = ArrayPool<char>.Shared.Rent(text.Length));
                    text = lower[..text.ToLowerInvariant(lower)];
                }
            }

            if (_hash is not null)
            {
                return HashOf(text);
            }

            return _mask switch
            {
                MaskStyle.All => AllMasked,
                MaskStyle.Email => MaskEmail(text),
                MaskStyle.Last4 => MaskAllButLast4(text),
                _ => value is string original && original.AsSpan().SequenceEqual(text) ? original : new string(text),
            };
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private string HashOf(ReadOnlySpan<char> text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var bytes = max <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, bytes);
            Span<byte> digest = stackalloc byte[32];
            _hash!.AppendData(bytes[..length]);
            _hash.GetHashAndReset(digest);
            return Convert.ToHexStringLower(digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static string MaskEmail(ReadOnlySpan<char> text)
    {
        var at = text.LastIndexOf('@');
        if (at <= 0)
        {
            // Not an address: nothing is safe to keep.
            return AllMasked;
        }

        var first = char.IsHighSurrogate(text[0]) && at > 1 ? 2 : 1;
        return string.Concat(text[..first], "***", text[at..]);
    }

    private static string MaskAllButLast4(ReadOnlySpan<char> text)
    {
        if (text.Length <= 4)
        {
            // Four characters or fewer would leave whole: hide them all (the length still shows).
            return new string('*', text.Length);
        }

        var keep = char.IsLowSurrogate(text[^4]) ? 3 : 4;
        var hidden = text.Length - keep;
        char[]? rented = null;
        var output = text.Length <= StackLimit ? stackalloc char[text.Length] : (rented = ArrayPool<char>.Shared.Rent(text.Length));
        try
        {
            output[..hidden].Fill('*');
            text[hidden..].CopyTo(output[hidden..]);
            return new string(output[..text.Length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static bool ChangesWhenLowered(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (char.ToLowerInvariant(c) != c)
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(string? transform, FieldNormalization? normalize) => (transform, normalize) switch
    {
        (null, _) => "email normalized",
        (_, null) => transform,
        _ => $"{transform}, email normalized",
    };
}
