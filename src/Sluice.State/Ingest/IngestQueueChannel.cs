namespace Sluice.State.Ingest;

/// <summary>
/// The LISTEN/NOTIFY channel on which the queue's writers announce each commit, so that readers that have caught up
/// look again at once instead of at their next poll. One per state schema; a notification carries nothing: readers
/// always re-read from their checkpoint, so a lost or spurious one costs at most one poll.
/// </summary>
internal static class IngestQueueChannel
{
    /// <summary>PostgreSQL truncates identifiers to 63 bytes, and pg_notify refuses longer channel names.</summary>
    private const int MaxLength = 63;

    public static string For(string schema)
    {
        var channel = "sluice_ingest_" + schema;
        return channel.Length <= MaxLength ? channel : channel[..MaxLength];
    }
}
