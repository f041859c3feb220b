using System.Threading.Channels;
using Sluice.Core.Connectors;
using Sluice.Core.Records;

namespace Sluice.Core.Engine;

public sealed partial class SyncRunner
{
    private sealed partial class Run
    {
        /// <summary>Changes handed from the read stage to the encode stage at a time (at most).</summary>
        private const int ChunkSize = 512;

        /// <summary>
        /// Reads changes and hands them on in chunks, so that reading and encoding run on two cores. A chunk
        /// goes as soon as it is full or the source would have to wait: a busy source gets large chunks,
        /// a trickling one no added latency.
        /// </summary>
        private async Task ReadAsync(ChannelWriter<List<Change>> output, CancellationToken ct)
        {
            var chunk = new List<Change>(ChunkSize);
            try
            {
                SyncModes.Check(sync);
                var read = HeadStart?.Request ?? request with { RecordStates = lease.RecordStates };
                // A diffed stream compares its records a chunk at a time with the ledger as committed (StreamDiff).
                var lookup = sync.Source.Streams && sync.Source.Diff is not null ? lease.RecordLookup : null;
                var stream = Diffing.ChangeDiffer.ReadAsync(sync.Source, read, ct, lookup, HeadStart?.Take(ct));
                if (sync.Source.Diff is null && KnowsDestinationIds)
                {
                    stream = Diffing.ChangeFingerprints.AddAsync(stream, request.Columns, ct);
                }

                var changes = stream.GetAsyncEnumerator(ct);
                // A read the stage asked for but has not awaited yet (it was handing a chunk on when stopped). It must
                // end before the enumerator is disposed: an async iterator cannot be disposed while it is running.
                ValueTask<bool>? pending = null;
                try
                {
                    while (true)
                    {
                        var next = changes.MoveNextAsync();
                        if (!next.IsCompleted && chunk.Count > 0)
                        {
                            pending = next;
                            await HandOnAsync();
                        }

                        pending = null;
                        if (!await next)
                        {
                            break;
                        }

                        chunk.Add(changes.Current);
                        if (chunk.Count == ChunkSize)
                        {
                            await HandOnAsync();
                        }
                    }

                    if (chunk.Count > 0)
                    {
                        await HandOnAsync();
                    }
                }
                finally
                {
                    if (pending is { } unfinished)
                    {
                        await EndQuietlyAsync(unfinished);
                    }

                    await changes.DisposeAsync();
                }
            }
            finally
            {
                output.TryComplete();
            }

            // The stage is already failing or stopping: the read's own outcome (a cancellation, mostly) adds nothing.
            static async ValueTask EndQuietlyAsync(ValueTask<bool> read)
            {
                try
                {
                    await read;
                }
                catch (Exception)
                {
                }
            }

            async ValueTask HandOnAsync()
            {
                Interlocked.Add(ref _read, chunk.Count(c => !c.IsProgress));
                await output.WriteAsync(chunk, ct);
                chunk = new List<Change>(ChunkSize);
            }
        }
    }
}
