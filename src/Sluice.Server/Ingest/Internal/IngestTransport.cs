using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Sluice.Server.Ingest.Internal;

/// <summary>
/// Kestrel's socket transport as the ingest listener uses it. Its requests are batches of events (tens of KB each,
/// arriving in 4 KB reads) whose handlers never block a thread: they parse, hand the events to the queue's writers
/// and await the commit.
/// </summary>
internal static class IngestTransport
{
    public static void Configure(SocketTransportOptions options)
    {
        // Read into a buffer at once instead of a zero-byte read first: one receive call per 4 KB of body, not two.
        // The cost is a 4 KB buffer per idle connection.
        options.WaitForDataBeforeAllocatingBuffer = false;

        // Run the request on the thread that received its bytes, and send the answer from the thread that completed
        // it, rather than handing each step to another thread-pool thread: on a machine of few cores shared with
        // PostgreSQL, each hand-off is a wake-up and a context switch. Safe here because no ingest handler blocks.
        options.UnsafePreferInlineScheduling = true;
    }
}
