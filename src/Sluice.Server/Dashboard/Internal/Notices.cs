using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Sluice.Server.Dashboard.Internal;

/// <summary>
/// What a button did, kept for the page the browser is sent to next (post, redirect, get: a reload never repeats a
/// replay). In memory, by a random id, the last <see cref="Keep"/> only: a notice is read once, seconds after it is made.
/// </summary>
internal sealed class Notices
{
    private const int Keep = 200;

    private readonly ConcurrentDictionary<string, Notice> _notices = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public string Add(string text, bool bad)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        _notices[id] = new Notice(text, bad);
        _order.Enqueue(id);
        while (_order.Count > Keep && _order.TryDequeue(out var old))
        {
            _notices.TryRemove(old, out _);
        }

        return id;
    }

    public Notice? Find(string? id) => id is not null && _notices.TryGetValue(id, out var notice) ? notice : null;

    /// <summary>A line to show at the top of the next page; <paramref name="Bad"/> when something was refused or failed.</summary>
    public sealed record Notice(string Text, bool Bad);
}
