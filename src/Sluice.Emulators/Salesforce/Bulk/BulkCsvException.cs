namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>Data a Bulk job cannot read: the job fails with this as its <c>errorMessage</c>.</summary>
internal sealed class BulkCsvException(string message) : Exception(message);
