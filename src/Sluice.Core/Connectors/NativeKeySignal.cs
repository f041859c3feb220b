namespace Sluice.Core.Connectors;

/// <summary>
/// One key of <see cref="IKeySignalRead.NativeKeysAsync"/>: <see cref="KeySignal"/> with the key as its value rather
/// than its text, so that a scan of every key allocates nothing per key.
/// </summary>
/// <param name="Key">
/// The key's value: for <see cref="NativeKeyType.Integer"/> the 64-bit two's complement in the low 64 bits
/// (<c>unchecked((ulong)value)</c>); for <see cref="NativeKeyType.Uuid"/> the UUID's 16 bytes read big-endian (the
/// order PostgreSQL stores them in).
/// </param>
/// <param name="Unchanged">As <see cref="KeySignal.Unchanged"/>.</param>
/// <param name="Handle">As <see cref="KeySignal.Handle"/>.</param>
public readonly record struct NativeKeySignal(UInt128 Key, bool Unchanged, long Handle);
