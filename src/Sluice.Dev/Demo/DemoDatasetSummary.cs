namespace Sluice.Dev.Demo;

/// <summary>Rows in the demo tables after <see cref="DemoDataset.CreateAsync"/>.</summary>
public sealed record DemoDatasetSummary(long Accounts, long Users, long Orders);
