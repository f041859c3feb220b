namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>Bulk 2.0 job states: Open → UploadComplete → InProgress → JobComplete | Failed | Aborted.</summary>
internal static class BulkJobState
{
    public const string Open = "Open";
    public const string UploadComplete = "UploadComplete";
    public const string InProgress = "InProgress";
    public const string JobComplete = "JobComplete";
    public const string Failed = "Failed";
    public const string Aborted = "Aborted";

    public static bool IsTerminal(string state) => state is JobComplete or Failed or Aborted;
}
