namespace Sluice.Core.Mapping.Internal;

/// <summary>What <c>normalize:</c> does to a text value before it is hashed, masked or sent.</summary>
internal enum FieldNormalization
{
    /// <summary>Surrounding white space trimmed and lower-cased, so <c> Jane@Example.com</c> hashes like <c>jane@example.com</c>.</summary>
    Email,
}
