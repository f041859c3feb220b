namespace Sluice.Core.State;

/// <summary>
/// Takes one stored key's UTF-8 text (<see cref="IRecordStateReader.ReadKeysAsync"/>); valid only during the call.
/// Returns false to stop the read.
/// </summary>
public delegate bool StoredKeyVisitor(ReadOnlySpan<byte> utf8Key);
