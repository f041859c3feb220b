namespace Sluice.Core.Engine.WriteBack;

/// <summary>One id to write back: the source record's key and the id the destination knows it by.</summary>
public readonly record struct WrittenBackId(string Key, string Id);
