namespace Sluice.State;

/// <summary>
/// How one acknowledged batch's ids are stored in <c>send_ledger</c> (migration 0028): keys and message ids as two text
/// arrays; the keys alone when each message id is its record's key; or the keys as one <c>uuid[]</c> when, besides, every
/// key is a uuid written as PostgreSQL writes one (lowercase, hyphenated), so <c>record_uuids::text[]</c> gives each key
/// back exactly. An ingested event landed in an events table is the last case: its event id is key and message id.
/// </summary>
internal sealed class SendLedgerIds
{
    private SendLedgerIds(string[]? keys, string[]? messageIds, Guid[]? uuids)
    {
        Keys = keys;
        MessageIds = messageIds;
        Uuids = uuids;
    }

    /// <summary>The keys as text (escaped for storage), or null when <see cref="Uuids"/> holds them.</summary>
    public string[]? Keys { get; }

    /// <summary>The message ids as text (escaped for storage), or null when each is its record's key.</summary>
    public string[]? MessageIds { get; }

    /// <summary>The keys as uuids, or null when <see cref="Keys"/> holds them.</summary>
    public Guid[]? Uuids { get; }

    /// <summary>The SQL readers take a row's keys with, as text (<c>l</c> the row's alias).</summary>
    public const string KeysSql = "coalesce(l.record_keys, l.record_uuids::text[])";

    /// <summary>The SQL readers take a row's message ids with, as text.</summary>
    public const string MessageIdsSql = "coalesce(l.message_ids, l.record_keys, l.record_uuids::text[])";

    public static SendLedgerIds Of(IReadOnlyList<string> keys, IReadOnlyList<string> messageIds)
    {
        var count = keys.Count;
        var sameIds = true;
        for (var i = 0; i < count && sameIds; i++)
        {
            sameIds = string.Equals(keys[i], messageIds[i], StringComparison.Ordinal);
        }

        if (sameIds && count > 0)
        {
            var uuids = new Guid[count];
            var i = 0;
            while (i < count && IsPostgresUuidText(keys[i], out uuids[i]))
            {
                i++;
            }

            if (i == count)
            {
                return new SendLedgerIds(null, null, uuids);
            }
        }

        var storedKeys = new string[count];
        for (var i = 0; i < count; i++)
        {
            storedKeys[i] = StoredText.Store(keys[i]);
        }

        if (sameIds)
        {
            return new SendLedgerIds(storedKeys, null, null);
        }

        var storedIds = new string[count];
        for (var i = 0; i < count; i++)
        {
            storedIds[i] = StoredText.Store(messageIds[i]);
        }

        return new SendLedgerIds(storedKeys, storedIds, null);
    }

    /// <summary>
    /// Whether <paramref name="text"/> is a uuid exactly as PostgreSQL's uuid_out writes it (and .NET's
    /// <c>Guid.ToString()</c>): 36 characters, hyphenated, lowercase hex — anything else stays text, so the key read back
    /// is the key stored.
    /// </summary>
    private static bool IsPostgresUuidText(string text, out Guid uuid)
    {
        uuid = default;
        if (text.Length != 36)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is >= 'A' and <= 'F')
            {
                return false;
            }
        }

        return Guid.TryParseExact(text, "D", out uuid);
    }
}
