namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>A Bulk request refused as a whole: HTTP status and the <c>[{"errorCode","message"}]</c> body.</summary>
internal sealed class BulkApiException(int status, string errorCode, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string ErrorCode { get; } = errorCode;
}
