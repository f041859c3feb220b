using System.Globalization;
using System.Runtime.CompilerServices;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.Diffing;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Testing.Doubles;

namespace Sluice.Core.Tests.Engine.Diffing;

/// <summary>
/// The diff of integer and uuid keys read unsorted against the stored keys held in memory must find exactly what the
/// merge by key text finds — every change, add and delete, nothing twice — and fetch the same rows; stored keys that are
/// not all canonical integers (or uuids) are left to the merge by text.
/// </summary>
public sealed class NativeOrderDiffTests
{
    private static readonly ReadRequest Request = new(["id", "v"], new Checkpoint("test", 1, "{}"));

    [Theory]
    [InlineData(NativeKeyType.Integer, 1)]
    [InlineData(NativeKeyType.Integer, 2)]
    [InlineData(NativeKeyType.Integer, 3)]
    [InlineData(NativeKeyType.Integer, 4)]
    [InlineData(NativeKeyType.Uuid, 5)]
    [InlineData(NativeKeyType.Uuid, 6)]
    public async Task Keys_read_unsorted_find_what_the_merge_by_text_finds(NativeKeyType type, int seed)
    {
        var random = new Random(seed);
        var (stored, rows, expected) = World(type, random, count: 5000);

        var byText = new FakeRead(rows, NativeKeyType.None, random);
        var sorted = await CollectAsync(SignalDiff.ReadAsync(byText, NewDiff(), new Ledger(stored), default));
        var native = new FakeRead(rows, type, random);
        var unsorted = await CollectAsync((await NativeOrderDiff.TryOpenAsync(native, NewDiff(), new Ledger(stored), default))!);

        Assert.Equal(expected, Outcome(sorted));
        Assert.Equal(expected, Outcome(unsorted));
        Assert.Equal(unsorted.Count, unsorted.Select(c => c.Key).Distinct().Count());
        Assert.Equal(byText.Fetched.Order(StringComparer.Ordinal), native.Fetched.Order(StringComparer.Ordinal));
        Assert.True(native.ReadNative);
    }

    [Theory]
    [InlineData("007")]
    [InlineData("+7")]
    [InlineData("-0")]
    [InlineData("9223372036854775808")]
    [InlineData("seven")]
    public async Task A_stored_key_that_is_not_a_canonical_integer_leaves_the_diff_to_the_merge_by_text(string odd)
    {
        var random = new Random(7);
        var (stored, rows, _) = World(NativeKeyType.Integer, random, count: 50);
        stored.Add(new RecordState(odd, new byte[RecordFingerprint.Length]));

        Assert.Null(await NativeOrderDiff.TryOpenAsync(new FakeRead(rows, NativeKeyType.Integer, random), NewDiff(), new Ledger(stored), default));
    }

    [Fact]
    public async Task A_stored_uuid_in_upper_case_leaves_the_diff_to_the_merge_by_text()
    {
        var random = new Random(8);
        var (stored, rows, _) = World(NativeKeyType.Uuid, random, count: 50);
        stored.Add(new RecordState(Guid.NewGuid().ToString("D").ToUpperInvariant(), new byte[RecordFingerprint.Length]));

        Assert.Null(await NativeOrderDiff.TryOpenAsync(new FakeRead(rows, NativeKeyType.Uuid, random), NewDiff(), new Ledger(stored), default));
    }

    [Fact]
    public async Task More_stored_keys_than_memory_allows_are_not_loaded()
    {
        var stored = Enumerable.Range(0, 10).Select(i => new RecordState(i.ToString(CultureInfo.InvariantCulture), new byte[RecordFingerprint.Length])).ToList();

        Assert.NotNull(await StoredKeySet<long, IntegerKeyCodec>.LoadAsync(new Ledger(stored), maxKeys: 10, default));
        Assert.Null(await StoredKeySet<long, IntegerKeyCodec>.LoadAsync(new Ledger(stored), maxKeys: 9, default));
    }

    [Fact]
    public async Task A_key_the_source_returns_twice_stops_the_read()
    {
        var row = new Row("5", 5, "a", Unchanged: true);
        var stored = new List<RecordState> { Stored(row) };

        var diff = (await NativeOrderDiff.TryOpenAsync(new FakeRead([row, row], NativeKeyType.Integer, new Random(1)), NewDiff(), new Ledger(stored), default))!;

        var error = await Assert.ThrowsAsync<Errors.SluiceException>(() => CollectAsync(diff));
        Assert.Contains("'5' comes back more than once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_source_keys_are_read_while_the_stored_keys_load_and_no_more_than_the_bound_ahead()
    {
        const int Bound = 100;
        var random = new Random(9);
        var (stored, rows, expected) = World(NativeKeyType.Integer, random, count: 1000);
        var sourceBegan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The stored keys load only once the source has handed over as many keys as may wait: loaded one after the other, the diff never ends.
        var ledger = new Ledger(stored) { Gate = sourceBegan.Task };
        var read = new FakeRead(rows, NativeKeyType.Integer, random)
        {
            BeforeKey = n =>
            {
                if (n == Bound - 1)
                {
                    sourceBegan.TrySetResult();
                }
            },
            Loaded = () => ledger.KeysRead,
        };

        var unsorted = await CollectAsync((await NativeOrderDiff.TryOpenAsync(read, NewDiff(), ledger, Bound, default))!);

        Assert.Equal(expected, Outcome(unsorted));
        Assert.Equal(Bound, read.KeysBeforeLoaded);
    }

    [Fact]
    public async Task A_stored_key_that_is_no_integer_found_after_the_source_began_leaves_the_diff_to_the_merge_by_text()
    {
        var random = new Random(10);
        var (stored, rows, expected) = World(NativeKeyType.Integer, random, count: 500);
        var odd = new RecordState("0042", new byte[RecordFingerprint.Length]);
        stored.Add(odd);
        expected.Add(("0042", ChangeKinds.Deleted, null));
        expected.Sort((a, b) => StringComparer.Ordinal.Compare(a.Item1, b.Item1));
        var sourceBegan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ledger = new Ledger(stored) { Gate = sourceBegan.Task };
        var read = new FakeRead(rows, NativeKeyType.Integer, random) { BeforeKey = n => sourceBegan.TrySetResult() };

        Assert.Null(await NativeOrderDiff.TryOpenAsync(read, NewDiff(), ledger, 1000, default));
        Assert.True(read.ReadNative);
        Assert.True(read.NativeLeft);

        var sorted = await CollectAsync(SignalDiff.ReadAsync(read, NewDiff(), ledger, default));
        Assert.Equal(expected, Outcome(sorted));
    }

    [Fact]
    public async Task A_pages_rows_are_fetched_while_the_key_scan_goes_on()
    {
        var random = new Random(11);
        var (stored, rows, expected) = World(NativeKeyType.Integer, random, count: 12_000);
        var scannedOn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstFetch = true;
        var read = new FakeRead(rows, NativeKeyType.Integer, random)
        {
            // The first page's fetch waits for a key the scan hands over after that page filled: fetched one page after
            // the other, between the scan's pages, the diff would never end (the test fails at the deadline).
            BeforeFetch = async () =>
            {
                if (firstFetch)
                {
                    firstFetch = false;
                    await scannedOn.Task.WaitAsync(TimeSpan.FromSeconds(30));
                }
            },
        };
        read.BeforeKey = n =>
        {
            if (read.FetchCalls > 0)
            {
                scannedOn.TrySetResult();
            }
        };

        var unsorted = await CollectAsync((await NativeOrderDiff.TryOpenAsync(read, NewDiff(), new Ledger(stored), default))!);

        Assert.Equal(expected, Outcome(unsorted));
        Assert.True(read.FetchCalls >= 2);
    }

    private static RecordDiff NewDiff() => new("test source", ["id"], Request, new SourceDiff(KeyOrder.Sorted, _ => new TestPosition(0)));

    /// <summary>A ledger and the source now: unchanged rows (vouched or only touched), changed, added (some vouched) and deleted.</summary>
    private static (List<RecordState> Stored, List<Row> Rows, List<(string, ChangeKinds, object?)> Expected) World(NativeKeyType type, Random random, int count)
    {
        var stored = new List<RecordState>();
        var rows = new List<Row>();
        var expected = new List<(string, ChangeKinds, object?)>();
        var used = new HashSet<UInt128>();
        for (var i = 0; i < count; i++)
        {
            var (value, text) = NewKey(type, random);
            if (!used.Add(value))
            {
                continue;
            }

            var before = new Row(text, value, "v" + random.Next(1000), Unchanged: false);
            switch (random.Next(6))
            {
                case 0: // unchanged, vouched for
                    stored.Add(Stored(before));
                    rows.Add(before with { Unchanged = true });
                    break;
                case 1: // written but the same values
                    stored.Add(Stored(before));
                    rows.Add(before);
                    break;
                case 2: // changed
                    stored.Add(Stored(before));
                    rows.Add(before with { Value = before.Value + "!" });
                    expected.Add((text, ChangeKinds.Changed, before.Value + "!"));
                    break;
                case 3: // added, vouched for or not: nothing stored, so fetched either way
                    rows.Add(before with { Unchanged = random.Next(2) == 0 });
                    expected.Add((text, ChangeKinds.Added, before.Value));
                    break;
                default: // deleted
                    stored.Add(Stored(before));
                    expected.Add((text, ChangeKinds.Deleted, null));
                    break;
            }
        }

        return (stored, rows, expected.OrderBy(e => e.Item1, StringComparer.Ordinal).ToList());
    }

    private static (UInt128 Value, string Text) NewKey(NativeKeyType type, Random random)
    {
        if (type == NativeKeyType.Uuid)
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            var guid = new Guid(bytes, bigEndian: true);
            return (System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes), guid.ToString("D"));
        }

        // Small and huge, negative and positive: text order and numeric order disagree on all of them.
        var key = random.Next(4) switch
        {
            0 => random.NextInt64(-1000, 1000),
            1 => random.NextInt64(long.MinValue, long.MaxValue),
            2 => long.MaxValue - random.Next(3),
            _ => random.NextInt64(0, 100_000),
        };
        return (unchecked((ulong)key), key.ToString(CultureInfo.InvariantCulture));
    }

    private static RecordState Stored(Row row)
    {
        using var fingerprint = new RecordFingerprint(Request.Columns);
        fingerprint.Compute(row.Values);
        return new RecordState(row.Key, fingerprint.ToArray());
    }

    private static List<(string, ChangeKinds, object?)> Outcome(List<Change> changes) =>
        changes.Select(c => (c.Key, c.Kind, c.Operation == ChangeOperation.Delete ? null : c.Values[1])).OrderBy(e => e.Key, StringComparer.Ordinal).ToList();

    private static async Task<List<Change>> CollectAsync(IAsyncEnumerable<Change> changes)
    {
        var list = new List<Change>();
        await foreach (var change in changes)
        {
            list.Add(change);
        }

        return list;
    }

    private sealed record Row(string Key, UInt128 Id, string Value, bool Unchanged)
    {
        public object?[] Values => [Key, Value];
    }

    /// <summary>A source's read by change signal over rows in memory: sorted by text, or shuffled as values.</summary>
    private sealed class FakeRead(List<Row> rows, NativeKeyType native, Random random) : IKeySignalRead
    {
        public List<string> Fetched { get; } = [];

        public bool ReadNative { get; private set; }

        /// <summary>Whether the unsorted key scan was left (its enumerator disposed).</summary>
        public bool NativeLeft { get; private set; }

        /// <summary>Called with each unsorted key's number (from 0) before it is handed over.</summary>
        public Action<int>? BeforeKey { get; set; }

        /// <summary>Awaited at the start of each fetch.</summary>
        public Func<Task>? BeforeFetch { get; init; }

        public int FetchCalls { get; private set; }

        /// <summary>Whether the stored keys have loaded; keys handed over before that are counted in <see cref="KeysBeforeLoaded"/>.</summary>
        public Func<bool>? Loaded { get; init; }

        public int KeysBeforeLoaded { get; private set; }

        public NativeKeyType NativeKeys => native;

        public Change End => Change.Progress(new TestPosition(0));

        public async IAsyncEnumerable<KeySignal> KeysAsync([EnumeratorCancellation] CancellationToken ct)
        {
            await Task.Yield();
            foreach (var i in Enumerable.Range(0, rows.Count).OrderBy(i => rows[i].Key, RecordKeyOrder.Instance))
            {
                yield return new KeySignal(rows[i].Key, rows[i].Unchanged, i);
            }
        }

        public async IAsyncEnumerable<NativeKeySignal> NativeKeysAsync([EnumeratorCancellation] CancellationToken ct)
        {
            ReadNative = true;
            await Task.Yield();
            var order = Enumerable.Range(0, rows.Count).ToArray();
            random.Shuffle(order);
            try
            {
                for (var n = 0; n < order.Length; n++)
                {
                    BeforeKey?.Invoke(n);
                    if (Loaded?.Invoke() == false)
                    {
                        KeysBeforeLoaded++;
                    }

                    var i = order[n];
                    yield return new NativeKeySignal(rows[i].Id, rows[i].Unchanged, i);
                }
            }
            finally
            {
                NativeLeft = true;
            }
        }

        public async IAsyncEnumerable<Change> FetchAsync(IReadOnlyList<KeySignal> keys, [EnumeratorCancellation] CancellationToken ct)
        {
            FetchCalls++;
            await Task.Yield();
            if (BeforeFetch is { } before)
            {
                await before();
            }

            foreach (var key in keys)
            {
                var row = rows[(int)key.Handle];
                Fetched.Add(row.Key);
                yield return new Change(row.Key, ChangeOperation.Upsert, row.Values, new TestPosition(0));
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>Stored records, streamed in key text order; keys and look-ups by the interface's defaults.</summary>
    private sealed class Ledger(List<RecordState> stored) : IRecordStateReader
    {
        /// <summary>What the keys' load waits for before it reads any (the test fails at the deadline rather than hang).</summary>
        public Task Gate { get; init; } = Task.CompletedTask;

        /// <summary>Whether <see cref="IRecordStateReader.ReadKeysAsync"/> has read every key.</summary>
        public bool KeysRead { get; private set; }

        public async IAsyncEnumerable<string> KeysAsync([EnumeratorCancellation] CancellationToken ct)
        {
            await Gate.WaitAsync(TimeSpan.FromSeconds(30), ct);
            foreach (var state in stored)
            {
                yield return state.Key;
            }

            KeysRead = true;
        }

        public async IAsyncEnumerable<RecordState> ReadAsync([EnumeratorCancellation] CancellationToken ct)
        {
            await Task.Yield();
            foreach (var state in stored.OrderBy(s => s.Key, RecordKeyOrder.Instance))
            {
                yield return state;
            }
        }
    }
}
