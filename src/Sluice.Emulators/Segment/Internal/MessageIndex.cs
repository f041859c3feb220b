using System.Runtime.InteropServices;

namespace Sluice.Emulators.Segment.Internal;

/// <summary>
/// The <c>messageId</c> dedup set and the distinct-<c>userId</c> set, split into lock-striped shards of plain
/// dictionaries. Unlike <see cref="System.Collections.Concurrent.ConcurrentDictionary{TKey,TValue}"/>, a
/// <see cref="Dictionary{TKey,TValue}"/> keeps its entries in one array rather than one node object per
/// entry, which matters to the garbage collector when a million ids are held.
/// </summary>
internal sealed class MessageIndex
{
    private const int ShardCount = 64;

    private readonly Shard[] _shards = [.. Enumerable.Range(0, ShardCount).Select(_ => new Shard())];

    /// <summary>
    /// Adds <paramref name="message"/> under its <c>messageId</c>, or returns the message already stored under it.
    /// </summary>
    public StoredMessage? AddOrGetFirst(StoredMessage message)
    {
        var shard = ShardOf(message.MessageId);
        lock (shard.Lock)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(shard.Messages, message.MessageId, out var exists);
            if (exists)
            {
                return slot;
            }

            slot = message;
            return null;
        }
    }

    /// <summary>True when <paramref name="userId"/> was not seen before.</summary>
    public bool AddUserId(string userId)
    {
        var shard = ShardOf(userId);
        lock (shard.Lock)
        {
            return shard.UserIds.Add(userId);
        }
    }

    private Shard ShardOf(string key) => _shards[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % ShardCount)];

    private sealed class Shard
    {
        public Lock Lock { get; } = new();

        public Dictionary<string, StoredMessage?> Messages { get; } = new(StringComparer.Ordinal);

        public HashSet<string> UserIds { get; } = new(StringComparer.Ordinal);
    }
}
