using Sluice.Core.Configuration;
using Sluice.Core.Records;

namespace Sluice.Core.Mapping.Internal;

/// <summary>
/// Reads the per-field options of a mapping leaf written in the long form
/// (<c>email: {column: email, hash: true, salt: ${PII_SALT}}</c>) into the transform it asks for.
/// </summary>
internal static class FieldOptions
{
    /// <summary>Every key the long form accepts; any other is refused with a suggestion, never ignored.</summary>
    public static readonly IReadOnlyList<string> Keys = ["column", "hash", "salt", "mask", "normalize", "drop"];

    /// <summary>
    /// The field's transform (null: sent as read), or <paramref name="dropped"/> when <c>drop: true</c>
    /// keeps it in the file but out of every record.
    /// </summary>
    public static FieldTransform? Read(FieldSpec field, SourceColumn column, out bool dropped)
    {
        dropped = false;
        if (field.Options is not { } options)
        {
            return null;
        }

        // A key nothing applies must not pass silently: a misspelt 'hsah:' would send the value in clear.
        options.RejectUnknownKeys(Keys);
        if (options.GetBool("drop") == true)
        {
            // The other options are checked for typos above but not read: a dropped field needs no salt.
            dropped = true;
            return null;
        }

        var hash = ReadHash(options);
        Secret? salt = null;
        if (options.Has("salt"))
        {
            if (!hash)
            {
                throw new ConfigException(options.KeyLocation("salt"), $"'salt' is given, but '{field.Target}' is not hashed",
                    "add 'hash: true', or remove 'salt'");
            }

            // An empty salt would quietly hash unsalted: values a reader could then look up by hashing guesses.
            salt = options.GetSecret("salt") ?? throw new ConfigException(options.LocationOf("salt"), "'salt' is empty",
                "set the variable it names to a long random value, or remove 'salt' to hash without one");
        }

        var mask = options.GetEnum<MaskStyle>("mask");
        if (hash && mask is not null)
        {
            throw new ConfigException(options.KeyLocation("mask"), $"'{field.Target}' is both hashed and masked",
                "keep either 'hash' or 'mask'");
        }

        var normalize = options.GetEnum<FieldNormalization>("normalize");
        if (normalize is not null && column.Type != ColumnType.Text)
        {
            throw new ConfigException(options.LocationOf("normalize"),
                $"'normalize: email' applies to text, and column '{column.Name}' is {column.DatabaseType}", "remove 'normalize'");
        }

        return (hash, mask, normalize) switch
        {
            (true, _, _) => FieldTransform.Hash(salt, normalize, column.Type),
            (_, { } style, _) => FieldTransform.Mask(style, normalize, column.Type),
            (_, _, not null) => FieldTransform.Normalize(column.Type),
            _ => null,
        };
    }

    private static bool ReadHash(ConfigSection options)
    {
        var text = options.GetString("hash");
        return text?.Trim().ToLowerInvariant() switch
        {
            null => false,
            "true" or "yes" or "on" or "sha256" or "sha-256" => true,
            "false" or "no" or "off" => false,
            _ => throw new ConfigException(options.LocationOf("hash"), $"'hash' must be true or false, not {options.Show("hash")}",
                "write 'hash: true'; Sluice hashes with SHA-256 (HMAC-SHA256 when a salt is given)"),
        };
    }
}
