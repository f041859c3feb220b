using System.Buffers;
using Npgsql;

namespace Sluice.Postgres;

/// <summary>
/// One pooled buffer that a <c>COPY … TO STDOUT</c> stream is read into, many rows at a time, for parsers that take
/// whole rows out of <see cref="Data"/> and say how many bytes they took (<see cref="Consume"/>).
/// </summary>
/// <remarks>
/// Why: Npgsql's raw COPY stream returns at most one CopyData message — one row — per read, so reading a million keys
/// was a million asynchronous reads, each with a parse call and a loop turn around it. <see cref="FillAsync"/> waits for
/// at most one read that is not already complete, then takes every further read that completes at once (the rows the
/// driver has already received) until the buffer is full. A read that does not complete at once is left running into
/// the free end of the buffer and is awaited by the next fill, before the buffer is compacted or grown: the parser
/// meanwhile reads only the bytes before it.
/// </remarks>
public sealed class CopyOutBuffer(NpgsqlRawCopyStream stream, int capacity) : IAsyncDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(capacity);
    private int _start;
    private int _end;
    private Task<int>? _pending;

    /// <summary>Whether the stream has ended (the COPY's rows are all in the buffer or consumed).</summary>
    public bool Ended { get; private set; }

    /// <summary>The bytes read and not yet consumed.</summary>
    public ReadOnlySpan<byte> Data => _buffer.AsSpan(_start, _end - _start);

    /// <summary>Marks <paramref name="bytes"/> at the start of <see cref="Data"/> consumed.</summary>
    public void Consume(int bytes) => _start += bytes;

    /// <summary>
    /// Reads more into the buffer: at least one read's bytes unless the stream has ended, then whatever more the driver
    /// hands over at once. False once the stream has ended with nothing more read.
    /// </summary>
    public async ValueTask<bool> FillAsync(CancellationToken ct)
    {
        if (Ended)
        {
            return false;
        }

        int read;
        if (_pending is { } pending)
        {
            _pending = null;
            read = await pending;
        }
        else
        {
            MakeRoom();
            read = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
        }

        if (read == 0)
        {
            Ended = true;
            return false;
        }

        _end += read;
        while (_end < _buffer.Length)
        {
            var next = stream.ReadAsync(_buffer.AsMemory(_end), ct);
            if (!next.IsCompleted)
            {
                _pending = next.AsTask();
                break;
            }

            read = next.GetAwaiter().GetResult();
            if (read == 0)
            {
                Ended = true;
                break;
            }

            _end += read;
        }

        return true;
    }

    /// <summary>Waits for a read still running (its outcome no longer matters), so that the stream can be cancelled or disposed.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_pending is { } pending)
            {
                _pending = null;
                try
                {
                    await pending;
                }
                catch (Exception)
                {
                    // Deliberately dropped: the caller is stopping the read, and reports its own failure if any.
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>Room at the end: the unconsumed bytes moved to the start, or a larger buffer when one row fills it all.</summary>
    private void MakeRoom()
    {
        if (_start == _end)
        {
            _start = _end = 0;
            return;
        }

        if (_end < _buffer.Length)
        {
            return;
        }

        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan(0, _end).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
