namespace Sluice.Emulators.Salesforce.Streaming;

/// <summary>
/// One handshaken CometD client: its subscriptions, each with the replay id of the last event it was sent, and the
/// long-poll it has waiting (a newer <c>/meta/connect</c> answers the older one at once).
/// </summary>
internal sealed class BayeuxClient(string id)
{
    private readonly Dictionary<string, long> _cursors = new(StringComparer.Ordinal);
    private CancellationTokenSource? _poll;

    public string Id { get; } = id;

    public Lock Gate { get; } = new();

    /// <summary><see cref="Environment.TickCount64"/> of its last request: idle clients are forgotten.</summary>
    public long LastSeen { get; set; } = Environment.TickCount64;

    /// <summary>Channel → replay id of the last event sent on it. Use under <see cref="Gate"/>.</summary>
    public Dictionary<string, long> Cursors => _cursors;

    /// <summary>Starts a long-poll, ending the one it replaces; the token is cancelled when a newer poll arrives.</summary>
    public CancellationToken BeginPoll()
    {
        var poll = new CancellationTokenSource();
        CancellationTokenSource? previous;
        lock (Gate)
        {
            previous = _poll;
            _poll = poll;
        }

        previous?.Cancel();
        return poll.Token;
    }

    /// <summary>Ends everything waiting for this client (disconnect, or forgotten).</summary>
    public void Close()
    {
        lock (Gate)
        {
            _poll?.Cancel();
        }
    }
}
