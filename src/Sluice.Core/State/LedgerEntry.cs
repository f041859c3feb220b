using Sluice.Core.Records;

namespace Sluice.Core.State;

/// <summary>One record the destination acknowledged, under the message id it was sent with.</summary>
public readonly record struct LedgerEntry(string RecordKey, string MessageId, ChangeOperation Operation);
