namespace Sluice.Core.Mapping.Internal;

/// <summary>The shapes of <c>mask:</c>, as written in a mapping's long form.</summary>
internal enum MaskStyle
{
    /// <summary><c>jane.doe@example.com</c> → <c>j***@example.com</c>: the domain stays, the local part does not.</summary>
    Email,

    /// <summary>Anything → <c>********</c>: always eight stars, so not even the length leaves.</summary>
    All,

    /// <summary><c>4111111111111234</c> → <c>************1234</c>: the length and the last four characters stay.</summary>
    Last4,
}
