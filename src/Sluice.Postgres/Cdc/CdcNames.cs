using System.Security.Cryptography;
using System.Text;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// The replication slot and publication Sluice creates for a CDC sync. One prefix, so that <c>sluice prune</c> can
/// tell Sluice's own objects from everyone else's, and names within PostgreSQL's 63-byte limit.
/// </summary>
public static class CdcNames
{
    /// <summary>Every slot and publication Sluice owns starts with this.</summary>
    public const string Prefix = "sluice_";

    private const int MaxLength = 63;

    /// <summary>The slot of a sync (sync names are already lower-case letters, digits and <c>_</c>).</summary>
    public static string SlotFor(string syncName) => Owned(syncName);

    /// <summary>The publication of a sync.</summary>
    public static string PublicationFor(string syncName) => Owned(syncName);

    private static string Owned(string syncName)
    {
        var name = Prefix + syncName;
        if (name.Length <= MaxLength)
        {
            return name;
        }

        // Too long: keep a readable head and make it unique with a hash of the whole name.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(syncName)))[..8];
        return name[..(MaxLength - hash.Length - 1)] + "_" + hash;
    }
}
